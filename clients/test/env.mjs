// What tests/edge/test_clients.py hands the client tests: the gateway it started and an organization's data.
import assert from "node:assert/strict";

function required(name) {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run these tests through tests/edge/test_clients.py (scripts/test)`);
  return value;
}

export const GATEWAY = required("GATEWAY_URL");
export const WS_URL = GATEWAY.replace(/^http/, "ws") + "/graphql";
export const HTTP_URL = GATEWAY + "/graphql";
export const KEY = required("API_KEY");
export const CUSTOMER_IDS = required("CUSTOMER_IDS").split(",");
export const AUTH = { Authorization: `Bearer ${KEY}` };

/** A fetch that records each request's method, URL and response status. */
export function recordingFetch() {
  const calls = [];
  const fetcher = async (url, init = {}) => {
    const response = await fetch(url, init);
    calls.push({ method: (init.method || "GET").toUpperCase(), url: String(url), status: response.status });
    return response;
  };
  return { calls, fetcher };
}

/** Apollo's possibleTypes from the schema's interfaces and unions (as Apollo's docs generate them). */
export async function possibleTypes() {
  const response = await fetch(HTTP_URL, {
    method: "POST",
    headers: { ...AUTH, "Content-Type": "application/json" },
    body: JSON.stringify({ query: "{ __schema { types { kind name possibleTypes { name } } } }" }),
  });
  const { data } = await response.json();
  const out = {};
  for (const t of data.__schema.types) {
    if (t.possibleTypes) out[t.name] = t.possibleTypes.map((p) => p.name);
  }
  return out;
}
