import { authedFetch } from './api.js';

/**
 * "Retire host" in the host header, for a host whose agent is gone for good:
 * DELETE /api/hosts/:id resolves its alerts and takes it off the list; its
 * history stays. Offered only while the host is disconnected (the server
 * refuses a connected one).
 */
export function renderRetireButton(header: HTMLElement, host: { id: string; connected: boolean }): void {
  let button = header.querySelector<HTMLButtonElement>('button.retire-host');
  if (!button) {
    button = document.createElement('button');
    button.className = 'retire-host';
    button.type = 'button';
    button.textContent = 'Retire host';
    header.append(button);
  }
  button.hidden = host.connected;
  button.title = `Take ${host.id} out of service: its alerts resolve, its history stays`;
  button.onclick = async () => {
    if (!confirm(`Retire ${host.id}? Its alerts resolve and it leaves the host list; its history stays.`)) return;
    const res = await authedFetch(`/api/hosts/${encodeURIComponent(host.id)}`, { method: 'DELETE' });
    if (res.ok) {
      location.assign(location.pathname); // back to the overview, where the host no longer is
    } else alert(`Could not retire ${host.id}: ${((await res.json()) as { error?: string }).error ?? res.status}`);
  };
}
