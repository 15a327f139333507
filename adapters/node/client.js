// A small example client of the cancel API, written for the conformance
// adapter beside it (adapter.js): it signs its cancel requests, verifies
// the provider's answers and notifications, gives up on a request after
// its timeout, and keeps an order record per payment. It does not retry
// (one cancel is one request) and trusts the system's TLS roots only, so
// its adapter declares neither `retry` nor `tls` (INTERPRETING.md §8).
//
// Node 20, built-in modules only (crypto, global fetch). Not a product:
// a skeleton showing what a client in any language must do, kept short.
"use strict";

const crypto = require("node:crypto");

const CANCEL_PATH = "/ams/api/v1/payments/cancel";
const SANDBOX_CANCEL_PATH = "/ams/sandbox/api/v1/payments/cancel";

// What a cancel request and a notification are signed over
// (sign.request-signature): the method, the path, the client id, the
// time header and the exact body bytes.
function signedContent(path, clientId, time, body) {
  return Buffer.concat([Buffer.from(`POST ${path}\n${clientId}.${time}.`, "utf8"), body]);
}

// `algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>`, with
// spaces after commas, pairs in any order and escapes in either case
// allowed (sign.header-format). Returns the raw signature bytes or null.
function parseSignatureHeader(header) {
  if (typeof header !== "string") return null;
  const pairs = {};
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    if (at < 0) return null;
    pairs[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  if (pairs.algorithm !== "RSA256" || !pairs.signature) return null;
  try {
    return Buffer.from(decodeURIComponent(pairs.signature), "base64");
  } catch {
    return null;
  }
}

function verifies(publicKey, path, clientId, time, body, header) {
  const signature = parseSignatureHeader(header);
  if (!signature || !time) return false;
  return crypto.verify(
    "sha256",
    signedContent(path, clientId, time, body),
    publicKey,
    signature,
  );
}

// A payment's record: whether it is known to be paid, and where its
// cancel stands ("none", "doubt", "done"); the status follows from both.
class Orders {
  constructor() {
    this.byId = new Map();
  }

  record(paymentId, paymentRequestId) {
    const keys = [paymentId && `p:${paymentId}`, paymentRequestId && `r:${paymentRequestId}`]
      .filter(Boolean);
    let found = keys.map((key) => this.byId.get(key)).find(Boolean);
    if (!found) found = { paid: false, cancel: "none" };
    for (const key of keys) this.byId.set(key, found);
    return found;
  }

  concluded(ids, outcome) {
    const order = this.record(ids.paymentId, ids.paymentRequestId);
    if (order.cancel === "done") return; // CANCELLED is final
    if (outcome === "cancelled") order.cancel = "done";
    else if (outcome === "failed") order.cancel = "none";
    else order.cancel = "doubt";
  }

  status(ids) {
    const order = this.record(ids.paymentId, ids.paymentRequestId);
    if (order.cancel === "done") return "CANCELLED";
    if (order.cancel === "doubt") return "UNKNOWN";
    return order.paid ? "SUCCESS" : "NONE";
  }
}

class CancelClient {
  // config: baseUrl, clientId, merchantKey (base64 PKCS#8), keyVersion,
  // providerKey (base64 SPKI), timeoutMs.
  constructor(config) {
    this.config = config;
    this.merchantKey = crypto.createPrivateKey({
      key: Buffer.from(config.merchantKey, "base64"),
      format: "der",
      type: "pkcs8",
    });
    this.providerKey = crypto.createPublicKey({
      key: Buffer.from(config.providerKey, "base64"),
      format: "der",
      type: "spki",
    });
    this.orders = new Orders();
  }

  cancelPath() {
    return this.config.clientId.startsWith("SANDBOX_") ? SANDBOX_CANCEL_PATH : CANCEL_PATH;
  }

  // One cancel request; the conclusion as the protocol spells it.
  async cancel(ids) {
    const outcome = await this.send(ids);
    this.orders.concluded(ids, outcome.outcome);
    return outcome;
  }

  async send(ids) {
    const path = this.cancelPath();
    const request = {};
    if (ids.paymentId != null) request.paymentId = ids.paymentId;
    if (ids.paymentRequestId != null) request.paymentRequestId = ids.paymentRequestId;
    const body = Buffer.from(JSON.stringify(request), "utf8");
    const time = new Date().toISOString();
    const signature = crypto
      .sign("sha256", signedContent(path, this.config.clientId, time, body), this.merchantKey)
      .toString("base64");
    let response;
    let answer;
    try {
      response = await fetch(this.config.baseUrl + path, {
        method: "POST",
        headers: {
          "Content-Type": "application/json; charset=UTF-8",
          "Client-Id": this.config.clientId,
          "Request-Time": time,
          Signature: `algorithm=RSA256,keyVersion=${this.config.keyVersion},signature=${encodeURIComponent(signature)}`,
        },
        body,
        // The whole exchange, body included, within the timeout.
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      answer = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      return { outcome: "unknown", detail: `no answer: ${error.name}` };
    }
    return this.judge(path, response, answer);
  }

  // Believes an answer only when it is HTTP 200, signed by the provider
  // over this path, this client id and its response time, for this client.
  judge(path, response, body) {
    const header = (name) => response.headers.get(name);
    if (response.status !== 200) return { outcome: "refused", detail: `HTTP ${response.status}` };
    const echoed = header("client-id");
    if (echoed !== null && echoed !== this.config.clientId) {
      return { outcome: "refused", detail: "answer for another client id" };
    }
    const time = header("response-time");
    if (!verifies(this.providerKey, path, this.config.clientId, time, body, header("signature"))) {
      return { outcome: "refused", detail: "the answer's signature does not verify" };
    }
    let parsed;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      return { outcome: "refused", detail: "the answer is not JSON" };
    }
    const result = parsed && parsed.result;
    const code = result && result.resultCode;
    switch (result && result.resultStatus) {
      case "S":
        return { outcome: "cancelled", resultCode: code, cancelTime: parsed.cancelTime };
      case "F":
        return { outcome: "failed", resultCode: code };
      case "U":
        return { outcome: "unknown", resultCode: code };
      default:
        return { outcome: "refused", detail: "not a cancel answer" };
    }
  }

  // A payment notification: accepted when the provider signed it over
  // this path for this client id; a payment success marks the order paid.
  notify(path, headers, body) {
    const lowered = {};
    for (const [name, value] of Object.entries(headers)) lowered[name.toLowerCase()] = value;
    const bytes = Buffer.from(body, "utf8");
    if (lowered["client-id"] !== this.config.clientId) return false;
    const signed = verifies(
      this.providerKey,
      path,
      lowered["client-id"],
      lowered["request-time"],
      bytes,
      lowered.signature,
    );
    if (!signed) return false;
    let notification;
    try {
      notification = JSON.parse(body);
    } catch {
      return false;
    }
    if (!notification || notification.notifyType !== "PAYMENT_RESULT") return false;
    if (notification.result && notification.result.resultStatus === "S") {
      this.orders.record(notification.paymentId, notification.paymentRequestId).paid = true;
    }
    return true;
  }

  status(ids) {
    return this.orders.status(ids);
  }
}

module.exports = { CancelClient, parseSignatureHeader };
