// Apollo Client 4 against the gateway: normalized cache with possibleTypes, relayStylePagination,
// the persisted query link (GET for hashed queries), the upload link, the graphql-ws link, error codes.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";

import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { relayStylePagination } from "@apollo/client/utilities";
import UploadHttpLink from "apollo-upload-client/UploadHttpLink.mjs";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { AUTH, CUSTOMER_IDS, HTTP_URL, WS_URL, possibleTypes, recordingFetch } from "./env.mjs";

const CUSTOMERS = gql`
  query Customers($first: Int!, $after: String) {
    customers(first: $first, after: $after) {
      edges { cursor node { id firstName timeline(first: 5) { edges { node { id kind } } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

function cache(types) {
  return new InMemoryCache({
    possibleTypes: types,
    typePolicies: { Query: { fields: { customers: relayStylePagination(["segment", "filter", "sort"]) } } },
  });
}

test("relayStylePagination merges pages into one normalized list", async () => {
  const client = new ApolloClient({ cache: cache(await possibleTypes()), link: new HttpLink({ uri: HTTP_URL, headers: AUTH }) });
  const first = await client.query({ query: CUSTOMERS, variables: { first: 2 } });
  assert.equal(first.data.customers.edges.length, 2);
  assert.equal(first.data.customers.pageInfo.hasNextPage, true);
  await client.query({
    query: CUSTOMERS, variables: { first: 2, after: first.data.customers.pageInfo.endCursor }, fetchPolicy: "network-only",
  });
  const merged = client.readQuery({ query: CUSTOMERS, variables: { first: 2 } });
  const ids = merged.customers.edges.map((e) => e.node.id);
  assert.deepEqual([...ids].sort(), [...CUSTOMER_IDS].sort());
  assert.ok(client.cache.extract()[`Customer:${CUSTOMER_IDS[0]}`], "customers are normalized by id");
});

test("the persisted query link registers a document once, then sends only its hash by GET", async () => {
  const sha256 = (text) => createHash("sha256").update(text).digest("hex");
  const query = gql`query CountForApq { customers(first: 1) { totalCount } }`;
  const run = async () => {
    const { calls, fetcher } = recordingFetch();
    const link = ApolloLink.from([
      new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
      new HttpLink({ uri: HTTP_URL, headers: AUTH, fetch: fetcher }),
    ]);
    const client = new ApolloClient({ cache: new InMemoryCache(), link });
    const { data } = await client.query({ query });
    assert.equal(data.customers.totalCount, CUSTOMER_IDS.length);
    return calls;
  };
  const firstClient = await run();
  assert.deepEqual(firstClient.map((c) => c.method), ["GET", "POST"], "hash only, then the hash with the text");
  assert.ok(!firstClient[0].url.includes("query="), "the first GET carries no text");
  const secondClient = await run();
  assert.deepEqual(secondClient.map((c) => c.method), ["GET"], "the document is known: the hash alone answers");
});

test("the upload link sends a file with the CSRF header", async () => {
  const link = new UploadHttpLink({ uri: HTTP_URL, headers: { ...AUTH, "Apollo-Require-Preflight": "true" } });
  const client = new ApolloClient({ cache: new InMemoryCache(), link });
  const file = new File(["hello from apollo\n"], "hello.txt", { type: "text/plain" });
  const { data } = await client.mutate({
    mutation: gql`mutation Attach($input: TimelineAttachmentAddInput!) {
      timelineAttachmentAdd(input: $input) { attachment { id file { size } } userErrors { code } } }`,
    variables: { input: { customerId: CUSTOMER_IDS[0], file } },
  });
  assert.deepEqual(data.timelineAttachmentAdd.userErrors, []);
  assert.equal(data.timelineAttachmentAdd.attachment.file.size, 18);
});

test("the graphql-ws link receives live activity", async () => {
  const ws = createClient({ url: WS_URL, webSocketImpl: WebSocket, connectionParams: AUTH, lazy: false });
  const client = new ApolloClient({ cache: new InMemoryCache(), link: new GraphQLWsLink(ws) });
  const received = new Promise((resolve, reject) => {
    const sub = client.subscribe({
      query: gql`subscription Activity($id: ID!) { customerActivity(customerId: $id) { id kind message } }`,
      variables: { id: CUSTOMER_IDS[1] },
    }).subscribe({ next: (r) => { sub.unsubscribe(); resolve(r.data.customerActivity); }, error: reject });
  });
  await new Promise((r) => setTimeout(r, 300)); // the subscription is registered
  const http = new ApolloClient({ cache: new InMemoryCache(), link: new HttpLink({ uri: HTTP_URL, headers: AUTH }) });
  await http.mutate({
    mutation: gql`mutation Note($input: TimelineNoteAddInput!) { timelineNoteAdd(input: $input) { note { id } } }`,
    variables: { input: { customerId: CUSTOMER_IDS[1], message: "live from apollo" } },
  });
  const event = await received;
  assert.equal(event.message, "live from apollo");
  await ws.dispose();
});

test("an unauthenticated request is a GraphQL error with its code, not only a status", async () => {
  const client = new ApolloClient({ cache: new InMemoryCache(), link: new HttpLink({ uri: HTTP_URL }) });
  await assert.rejects(client.query({ query: gql`{ customers(first: 1) { totalCount } }` }), (error) => {
    assert.ok(CombinedGraphQLErrors.is(error), `expected GraphQL errors, got ${error?.name}: ${error?.message}`);
    assert.equal(error.errors[0].extensions.code, "UNAUTHENTICATED");
    return true;
  });
});

test("a costly query is refused with its cost before it runs", async () => {
  const client = new ApolloClient({ cache: new InMemoryCache(), link: new HttpLink({ uri: HTTP_URL, headers: AUTH }) });
  const nested = "timeline(first: 100) { edges { node { id } } } transactions(first: 100) { edges { node { id } } }";
  const aliases = Array.from({ length: 20 }, (_, i) => `c${i}: customers(first: 100) { edges { node { id ${nested} } } }`);
  await assert.rejects(client.query({ query: gql(`{ ${aliases.join(" ")} }`) }), (error) => {
    assert.ok(CombinedGraphQLErrors.is(error), `expected GraphQL errors, got ${error?.name}: ${error?.message}`);
    assert.equal(error.errors[0].extensions.code, "QUERY_TOO_COSTLY");
    assert.ok(error.errors[0].extensions.cost.requestedQueryCost > 25000);
    return true;
  });
});
