// What quicktype's CancelRequest accepts though the schema rejects it:
// quicktype merges the schema's two shapes (one per id) into one interface
// with both ids optional, so "at least one id, not null" is lost. The
// schema's description says so, and spec/corpus holds each of these as an
// invalid entry that Ajv, Python's jsonschema and the Rust validator reject
// (xlang/run.sh). This file must compile: when a quicktype release starts
// rejecting one of these, the file fails and the gap is to be removed here
// and moved to reject-quicktype.ts.
import type { QtCancelRequest } from "./types.js";

export const neitherId: QtCancelRequest = {};
export const merchantOnly: QtCancelRequest = { merchantAccountId: "M1" };
export const twoNullIds: QtCancelRequest = { paymentId: null, paymentRequestId: null };
