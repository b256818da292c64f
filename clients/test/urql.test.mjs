// urql's core client against the gateway: GET for queries, multipart uploads, subscriptions over graphql-ws.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Client, fetchExchange, gql, subscriptionExchange } from "@urql/core";
import { createClient } from "graphql-ws";
import { pipe, subscribe, take, toPromise } from "wonka";
import WebSocket from "ws";

import { AUTH, CUSTOMER_IDS, HTTP_URL, WS_URL, recordingFetch } from "./env.mjs";

test("queries go by GET (cacheable URLs) and return data", async () => {
  const { calls, fetcher } = recordingFetch();
  const client = new Client({
    url: HTTP_URL, exchanges: [fetchExchange], preferGetMethod: true, fetch: fetcher, fetchOptions: { headers: AUTH },
  });
  const result = await client.query(gql`query UrqlCount { customers(first: 1) { totalCount } }`, {}).toPromise();
  assert.equal(result.error, undefined, String(result.error));
  assert.equal(result.data.customers.totalCount, CUSTOMER_IDS.length);
  assert.deepEqual(calls.map((c) => [c.method, c.status]), [["GET", 200]]);
});

test("a mutation by urql goes by POST even with preferGetMethod", async () => {
  const { calls, fetcher } = recordingFetch();
  const client = new Client({
    url: HTTP_URL, exchanges: [fetchExchange], preferGetMethod: true, fetch: fetcher, fetchOptions: { headers: AUTH },
  });
  const result = await client.mutation(gql`mutation UrqlNote($input: TimelineNoteAddInput!) {
    timelineNoteAdd(input: $input) { note { id } userErrors { code } } }`,
  { input: { customerId: CUSTOMER_IDS[2], message: "from urql" } }).toPromise();
  assert.equal(result.error, undefined, String(result.error));
  assert.deepEqual(result.data.timelineNoteAdd.userErrors, []);
  assert.equal(calls[0].method, "POST");
});

test("an upload goes as a multipart request", async () => {
  const client = new Client({
    url: HTTP_URL, exchanges: [fetchExchange], fetchOptions: { headers: { ...AUTH, "Apollo-Require-Preflight": "true" } },
  });
  const file = new File(["a,b\n1,2\n"], "rows.csv", { type: "text/csv" });
  const result = await client.mutation(gql`mutation UrqlAttach($input: TimelineAttachmentAddInput!) {
    timelineAttachmentAdd(input: $input) { attachment { id file { size } } userErrors { code } } }`,
  { input: { customerId: CUSTOMER_IDS[2], file } }).toPromise();
  assert.equal(result.error, undefined, String(result.error));
  assert.deepEqual(result.data.timelineAttachmentAdd.userErrors, []);
  assert.equal(result.data.timelineAttachmentAdd.attachment.file.size, 8);
});

test("subscriptions run over graphql-ws", async () => {
  const ws = createClient({ url: WS_URL, webSocketImpl: WebSocket, connectionParams: AUTH });
  const client = new Client({
    url: HTTP_URL,
    fetchOptions: { headers: AUTH },
    exchanges: [fetchExchange, subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query || "" };
        return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
      },
    })],
  });
  const next = pipe(
    client.subscription(gql`subscription UrqlActivity($id: ID!) { customerActivity(customerId: $id) { kind message } }`,
      { id: CUSTOMER_IDS[0] }),
    take(1),
    toPromise,
  );
  await new Promise((r) => setTimeout(r, 300));
  const note = await client.mutation(gql`mutation($input: TimelineNoteAddInput!) { timelineNoteAdd(input: $input) { note { id } } }`,
    { input: { customerId: CUSTOMER_IDS[0], message: "live from urql" } }).toPromise();
  assert.equal(note.error, undefined, String(note.error));
  const event = await next;
  assert.equal(event.data.customerActivity.message, "live from urql");
  await ws.dispose();
  void subscribe;
});
