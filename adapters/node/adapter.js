#!/usr/bin/env node
// Conformance adapter (protocol version 3, INTERPRETING.md §8) around the
// example client in client.js: the skeleton a Java, Go or .NET team copies.
//
//   cancel-conformance client --adapter "node adapters/node/adapter.js"
//
// The runner starts it once per case with the CC_* environment, writes one
// JSON operation per line on stdin and reads one JSON answer per line on
// stdout, each echoing the operation's id. The adapter only translates:
// it never signs, verifies or retries itself; that is the client's job,
// and what is judged. stdout carries protocol lines only; logs go to
// stderr; keys never leave the process.
"use strict";

const readline = require("node:readline");
const { CancelClient } = require("./client.js");

// What the client implements (see client.js): no `retry` (one cancel is
// one request) and no `tls` (it cannot be told which certificate to trust
// without a dependency), so the runner reports those cases not applicable.
const HELLO = {
  name: "cancel-conformance example node client",
  version: "0.1.0",
  language: "JavaScript (Node 20)",
  homepage: "adapters/node/README.md",
  capabilities: ["sign", "verify", "timeout", "orders", "notify"],
};

function log(message) {
  process.stderr.write(`node adapter: ${message}\n`);
}

function required(name) {
  const value = (process.env[name] || "").trim();
  if (!value) throw new Error(`${name} is not set (the runner sets it)`);
  return value;
}

function makeClient() {
  return new CancelClient({
    baseUrl: required("CC_BASE_URL"),
    clientId: required("CC_CLIENT_ID"),
    merchantKey: required("CC_MERCHANT_PRIVATE_KEY"),
    keyVersion: (process.env.CC_KEY_VERSION || "1").trim(),
    providerKey: required("CC_PROVIDER_PUBLIC_KEY"),
    timeoutMs: Number((process.env.CC_TIMEOUT_MS || "10000").trim()),
  });
}

async function answer(client, message) {
  switch (message.op) {
    case "hello":
      return { ...HELLO };
    case "cancel": {
      const concluded = await client.cancel({
        paymentId: message.paymentId,
        paymentRequestId: message.paymentRequestId,
      });
      if (concluded.detail) log(`cancel: ${concluded.outcome}: ${concluded.detail}`);
      const { detail, ...reported } = concluded;
      return reported;
    }
    case "notify":
      return { accepted: client.notify(message.path, message.headers || {}, message.body) };
    case "status":
      return {
        status: client.status({
          paymentId: message.paymentId,
          paymentRequestId: message.paymentRequestId,
        }),
      };
    default:
      return { error: `unsupported: ${message.op}` };
  }
}

// Node loads its fetch implementation on first use, which can take longer
// than a 200 ms CC_TIMEOUT_MS on a busy machine: load it before the first
// operation, outside the time a cancel is allowed.
function warmUp() {
  void new Request("http://127.0.0.1/");
}

async function main() {
  warmUp();
  let client = null;
  let setupError = null;
  try {
    client = makeClient();
  } catch (error) {
    setupError = error.message;
    log(`setup: ${setupError}`);
  }
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  // One operation at a time: the next line is read after the answer.
  for await (const line of lines) {
    if (!line.trim()) continue;
    let message;
    try {
      message = JSON.parse(line);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ id: null, error: `not JSON: ${error.message}` })}\n`);
      continue;
    }
    let reply;
    if (setupError && message.op !== "hello") {
      reply = { error: `adapter setup failed: ${setupError}` };
    } else {
      try {
        reply = await answer(client, message);
      } catch (error) {
        reply = { error: `adapter error: ${error.name}: ${error.message}` };
        log(reply.error);
      }
    }
    reply.id = message.id === undefined ? null : message.id;
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  }
}

main().catch((error) => {
  log(`fatal: ${error.stack || error}`);
  process.exit(1);
});
