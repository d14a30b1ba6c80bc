import { randomUUID } from 'node:crypto';
import { signWebhookBody, signWebhookBodySha1 } from './webhook-signature.js';

/** A webhook registered on the fake: a repository's, or an organization's (all its repositories). */
export interface FakeWebhook {
  id: number;
  owner: string;
  /** Null for an organization webhook. */
  repository: string | null;
  url: string;
  /** Signs deliveries when set (GitHub sends no signature headers without a secret). */
  secret: string | null;
  /** `json`: the payload is the body; `form`: the body is `payload=<url-encoded JSON>` (GitHub's default `content_type`; the fake defaults to `json`). */
  contentType: 'json' | 'form';
  /** Events delivered; `*` for all. GitHub's default is `['push']`. */
  events: string[];
  /** Id of the repository or organization the hook is on (`X-GitHub-Hook-Installation-Target-ID`). */
  targetId: number;
}

/** One POST the fake made to a webhook, with what came back. */
export interface WebhookDelivery {
  /** The `X-GitHub-Delivery` GUID. */
  id: string;
  hookId: number;
  event: string;
  url: string;
  /** Headers as sent (lower-case names). */
  headers: Record<string, string>;
  /** The exact body the signature covers. */
  body: string;
  payload: Record<string, unknown>;
  /** HTTP status of the answer; null until answered, or when the request failed. */
  status: number | null;
  responseBody: string | null;
  /** Why the request failed (connection refused, the 10 s timeout); null otherwise. */
  error: string | null;
}

/** GitHub gives a receiver 10 seconds to answer a delivery. */
const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * The webhooks of a fake and their deliveries. Deliveries go out over real HTTP after the
 * change that caused them, like GitHub's (asynchronous, unordered, never retried); their
 * promises are kept so a test can wait for all of them with {@link flush}.
 */
export class WebhookDeliveries {
  readonly hooks: FakeWebhook[] = [];
  readonly deliveries: WebhookDelivery[] = [];
  private readonly pending = new Set<Promise<void>>();
  private nextId = 1;

  add(hook: Omit<FakeWebhook, 'id'>): FakeWebhook {
    const added = { ...hook, id: this.nextId++ };
    this.hooks.push(added);
    return added;
  }

  /** Removes a hook; true when it existed. Deliveries already started still complete. */
  remove(id: number): boolean {
    const index = this.hooks.findIndex((hook) => hook.id === id);
    if (index !== -1) this.hooks.splice(index, 1);
    return index !== -1;
  }

  /** Hooks of a repository that want `event`: its own and its owner's organization hooks. */
  hooksFor(owner: string, repository: string, event: string): FakeWebhook[] {
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    return this.hooks.filter((hook) => same(hook.owner, owner) && (hook.repository === null || same(hook.repository, repository)) && (event === 'ping' || hook.events.includes(event) || hook.events.includes('*')));
  }

  /** Starts one delivery; it is sent on the next turn of the event loop. */
  send(hook: FakeWebhook, event: string, payload: Record<string, unknown>): WebhookDelivery {
    const json = JSON.stringify(payload);
    const body = hook.contentType === 'form' ? `payload=${encodeURIComponent(json)}` : json;
    const delivery: WebhookDelivery = {
      id: randomUUID(),
      hookId: hook.id,
      event,
      url: hook.url,
      headers: {
        'content-type': hook.contentType === 'form' ? 'application/x-www-form-urlencoded' : 'application/json',
        'user-agent': 'GitHub-Hookshot/f4k3d0e',
        'x-github-event': event,
        'x-github-delivery': '',
        'x-github-hook-id': String(hook.id),
        'x-github-hook-installation-target-id': String(hook.targetId),
        'x-github-hook-installation-target-type': hook.repository === null ? 'organization' : 'repository',
        ...(hook.secret === null ? {} : { 'x-hub-signature': signWebhookBodySha1(hook.secret, body), 'x-hub-signature-256': signWebhookBody(hook.secret, body) }),
      },
      body,
      payload,
      status: null,
      responseBody: null,
      error: null,
    };
    delivery.headers['x-github-delivery'] = delivery.id;
    this.deliveries.push(delivery);
    const done = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => fetch(hook.url, { method: 'POST', headers: delivery.headers, body, redirect: 'manual', signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) }))
      .then(
        async (response) => {
          delivery.status = response.status;
          delivery.responseBody = await response.text();
        },
        (error: unknown) => {
          delivery.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        },
      )
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
    return delivery;
  }

  /** Waits until every delivery has been answered or has failed, including ones their receivers caused. */
  async flush(): Promise<WebhookDelivery[]> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    return this.deliveries;
  }
}
