// shadcn-style tabs on bits-ui (arrow keys move between triggers).
import { Tabs as TabsPrimitive } from 'bits-ui';
import List from './tabs-list.svelte';
import Trigger from './tabs-trigger.svelte';
import Content from './tabs-content.svelte';

export const Tabs = TabsPrimitive.Root;
export { List as TabsList, Trigger as TabsTrigger, Content as TabsContent };
