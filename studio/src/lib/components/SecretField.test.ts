import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import SecretField from './SecretField.svelte';

describe('SecretField', () => {
  it('hides the key until revealed, and can hide it again', async () => {
    render(SecretField, { id: 'k', label: 'Stream key', value: 'sk_live_123' });
    const input = screen.getByLabelText<HTMLInputElement>('Stream key');
    expect(input.type).toBe('password');
    expect(input.value).toBe('sk_live_123');
    await fireEvent.click(screen.getByRole('button', { name: 'Reveal Stream key' }));
    expect(input.type).toBe('text');
    const hide = screen.getByRole('button', { name: 'Hide Stream key' });
    expect(hide.getAttribute('aria-pressed')).toBe('true');
    await fireEvent.click(hide);
    expect(input.type).toBe('password');
  });

  it('shows a non-secret value in clear with only a copy button', () => {
    render(SecretField, { id: 's', label: 'Server', value: 'rtmp://h:1935/live', secret: false });
    expect(screen.getByLabelText<HTMLInputElement>('Server').type).toBe('text');
    expect(screen.queryByRole('button', { name: /Reveal/ })).toBeNull();
    expect(screen.getByRole('button', { name: 'Copy Server' })).toBeTruthy();
  });
});
