/** The app's TanStack Query client: no retries for answers the server meant (4xx), a couple for the rest. */
import { QueryClient } from '@tanstack/svelte-query';
import { ApiError } from './api/client.js';

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        retry: (failures, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && failures < 2,
      },
      mutations: { retry: false },
    },
  });
}
