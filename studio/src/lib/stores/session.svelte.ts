/**
 * Who is logged in: the session token and user, kept in localStorage so a reload stays logged in. The
 * server remains the judge: any 401 ends the session here too (see api/index.ts).
 */
import type { AuthUser } from '../api/types.js';
import { can, type Action } from '../permissions.js';

const KEY = 'dubd.session';

interface Stored {
  token: string;
  user: AuthUser | null;
}

function load(): Stored | null {
  try {
    const raw = globalThis.localStorage?.getItem(KEY);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

class Session {
  token = $state<string | undefined>(undefined);
  user = $state<AuthUser | null>(null);
  /** Why the last session ended (shown on the login page), e.g. "session expired". */
  endedBecause = $state<string | undefined>(undefined);

  constructor() {
    const s = load();
    if (s) {
      this.token = s.token;
      this.user = s.user;
    }
  }

  get loggedIn(): boolean {
    return this.token !== undefined;
  }

  can(action: Action): boolean {
    return this.user ? can(this.user.role, action) : false;
  }

  start(token: string, user: AuthUser | null): void {
    this.token = token;
    this.user = user;
    this.endedBecause = undefined;
    this.save();
  }

  setUser(user: AuthUser): void {
    this.user = user;
    this.save();
  }

  end(reason?: string): void {
    this.token = undefined;
    this.user = null;
    this.endedBecause = reason;
    try {
      globalThis.localStorage?.removeItem(KEY);
    } catch {
      // storage unavailable (private mode): nothing to clear
    }
  }

  private save(): void {
    try {
      if (this.token) globalThis.localStorage?.setItem(KEY, JSON.stringify({ token: this.token, user: this.user } satisfies Stored));
    } catch {
      // storage unavailable: the session lasts until the tab closes
    }
  }
}

export const session = new Session();
