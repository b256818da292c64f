// graphql-ws on its own: authentication in connection_init, and a mutation refused with where to send it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { AUTH, CUSTOMER_IDS, WS_URL } from "./env.mjs";

function once(client, payload) {
  return new Promise((resolve, reject) => {
    const results = [];
    client.subscribe(payload, {
      next: (r) => results.push(r),
      error: (e) => resolve({ error: e, results }),
      complete: () => resolve({ results }),
    });
    setTimeout(() => reject(new Error("no answer in 5 s")), 5000);
  });
}

test("a query over the websocket runs", async () => {
  const client = createClient({ url: WS_URL, webSocketImpl: WebSocket, connectionParams: AUTH });
  const { results, error } = await once(client, { query: "{ customers(first: 1) { totalCount } }" });
  assert.equal(error, undefined);
  assert.equal(results[0].data.customers.totalCount, CUSTOMER_IDS.length);
  await client.dispose();
});

test("a mutation over the websocket is refused with where to send it", async () => {
  const client = createClient({ url: WS_URL, webSocketImpl: WebSocket, connectionParams: AUTH });
  const { error } = await once(client, {
    query: "mutation { timelineNoteAdd(input: {customerId: \"" + CUSTOMER_IDS[0] + "\", message: \"x\"}) { note { id } } }",
  });
  assert.ok(Array.isArray(error), `expected GraphQL errors, got ${error}`);
  assert.equal(error[0].extensions.code, "BAD_REQUEST");
  assert.match(error[0].message, /POST \/graphql/);
  await client.dispose();
});

test("a connection without a key is closed", async () => {
  const client = createClient({ url: WS_URL, webSocketImpl: WebSocket, retryAttempts: 0 });
  const { error } = await once(client, { query: "{ __typename }" });
  assert.ok(error, "the connection must fail");
  await client.dispose();
});
