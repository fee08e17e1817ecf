/** Short notices after an action ("Key copied", "Backup started"); errors stay until dismissed. */
export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error';
  message: string;
}

const INFO_MS = 4000;

class Toaster {
  items = $state<Toast[]>([]);
  private next = 1;

  show(kind: Toast['kind'], message: string): number {
    const id = this.next++;
    this.items.push({ id, kind, message });
    if (this.items.length > 5) this.items.shift();
    if (kind !== 'error') setTimeout(() => this.dismiss(id), INFO_MS);
    return id;
  }

  success(message: string): number {
    return this.show('success', message);
  }

  info(message: string): number {
    return this.show('info', message);
  }

  error(message: string): number {
    return this.show('error', message);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toast = new Toaster();
