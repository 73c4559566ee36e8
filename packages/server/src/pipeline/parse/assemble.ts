import { NS, type Rec } from './targets.js';

/**
 * Turns the value slots filled by a pattern's mappings into the nested ECS objects. Written out
 * field by field (the ids are those of targets.ts) so every property store has its own site and
 * stays nearly monomorphic: building an event is the hot half of parsing, and generic keyed
 * stores on objects of many shapes cost several times more. Namespaces are attached to the
 * event in one fixed order, which keeps the number of event shapes small. Slots read are reset
 * to undefined so the array can be reused for the next line.
 */

/** Clears slot i (the array is reused) and returns its value. */
function take(v: unknown[], i: number, x: unknown): unknown {
  v[i] = undefined;
  return x;
}

function ns_source(v: unknown[]): Rec {
  const o: Rec = {};
  let x: unknown;
  if ((x = v[10]) !== undefined) o.ip = take(v, 10, x);
  if ((x = v[11]) !== undefined) o.port = take(v, 11, x);
  if ((x = v[12]) !== undefined) o.address = take(v, 12, x);
  if ((x = v[13]) !== undefined) o.domain = take(v, 13, x);
  if ((x = v[14]) !== undefined) o.bytes = take(v, 14, x);
  return o;
}

function ns_destination(v: unknown[]): Rec {
  const o: Rec = {};
  let x: unknown;
  if ((x = v[15]) !== undefined) o.ip = take(v, 15, x);
  if ((x = v[16]) !== undefined) o.port = take(v, 16, x);
  if ((x = v[17]) !== undefined) o.address = take(v, 17, x);
  if ((x = v[18]) !== undefined) o.domain = take(v, 18, x);
  if ((x = v[19]) !== undefined) o.bytes = take(v, 19, x);
  return o;
}

function ns_user(v: unknown[]): Rec {
  const o: Rec = {};
  let x: unknown;
  if ((x = v[20]) !== undefined) o.name = take(v, 20, x);
  if ((x = v[21]) !== undefined) o.id = take(v, 21, x);
  return o;
}

function ns_process(v: unknown[]): Rec {
  const o: Rec = {};
  let x: unknown;
  if ((x = v[22]) !== undefined) o.name = take(v, 22, x);
  if ((x = v[23]) !== undefined) o.pid = take(v, 23, x);
  return o;
}

function ns_host(v: unknown[]): Rec {
  const o: Rec = {};
  let x: unknown;
  if ((x = v[24]) !== undefined) o.hostname = take(v, 24, x);
  if ((x = v[25]) !== undefined) o.name = take(v, 25, x);
  return o;
}

function ns_observer(v: unknown[]): Rec {
  const o: Rec = {};
  let x: unknown;
  if ((x = v[26]) !== undefined) o.hostname = take(v, 26, x);
  if ((x = v[27]) !== undefined) o.type = take(v, 27, x);
  if ((x = v[28]) !== undefined) o.name = take(v, 28, x);
  return o;
}

function ns_url(v: unknown[]): Rec {
  const o: Rec = {};
  let x: unknown;
  if ((x = v[29]) !== undefined) o.original = take(v, 29, x);
  if ((x = v[30]) !== undefined) o.path = take(v, 30, x);
  if ((x = v[31]) !== undefined) o.query = take(v, 31, x);
  return o;
}

function ns_user_agent(v: unknown[]): Rec {
  const o: Rec = {};
  let x: unknown;
  if ((x = v[38]) !== undefined) o.original = take(v, 38, x);
  return o;
}

function ns_network(v: unknown[]): Rec {
  const o: Rec = {};
  let x: unknown;
  if ((x = v[39]) !== undefined) o.transport = take(v, 39, x);
  if ((x = v[40]) !== undefined) o.protocol = take(v, 40, x);
  return o;
}

function ns_error(v: unknown[]): Rec {
  const o: Rec = {};
  let x: unknown;
  if ((x = v[42]) !== undefined) o.message = take(v, 42, x);
  return o;
}

function ns_event(ee: Rec, v: unknown[]): void {
  let x: unknown;
  if ((x = v[1]) !== undefined) ee.kind = take(v, 1, x);
  if ((x = v[4]) !== undefined) ee.action = take(v, 4, x);
  if ((x = v[5]) !== undefined) ee.outcome = take(v, 5, x);
  if ((x = v[6]) !== undefined) ee.dataset = take(v, 6, x);
  if ((x = v[7]) !== undefined) ee.module = take(v, 7, x);
  if ((x = v[8]) !== undefined) ee.provider = take(v, 8, x);
  if ((x = v[9]) !== undefined) ee.reason = take(v, 9, x);
}

function ns_http(v: unknown[]): Rec {
  const o: Rec = {};
  let x: unknown;
  if (v[33] !== undefined || v[34] !== undefined || v[35] !== undefined) {
    const r: Rec = {};
    if ((x = v[33]) !== undefined) r.method = take(v, 33, x);
    if ((x = v[34]) !== undefined) r.referrer = take(v, 34, x);
    if ((x = v[35]) !== undefined) r.bytes = take(v, 35, x);
    o.request = r;
  }
  if (v[36] !== undefined || v[37] !== undefined) {
    const r: Rec = {};
    if ((x = v[36]) !== undefined) r.status_code = take(v, 36, x);
    if ((x = v[37]) !== undefined) r.bytes = take(v, 37, x);
    o.response = r;
  }
  if ((x = v[32]) !== undefined) o.version = take(v, 32, x);
  return o;
}

function ns_log(v: unknown[], syslog: Rec | undefined): Rec {
  const o: Rec = {};
  let x: unknown;
  if ((x = v[41]) !== undefined) o.level = take(v, 41, x);
  if (syslog !== undefined) o.syslog = syslog;
  return o;
}

/** Writes an event.* value into a key the event object already has (see bind-pattern.ts). */
export function putEventField(ee: Rec, id: number, x: unknown): void {
  switch (id) {
    case 1:
      ee.kind = x;
      return;
    case 4:
      ee.action = x;
      return;
    case 5:
      ee.outcome = x;
      return;
    case 6:
      ee.dataset = x;
      return;
    case 7:
      ee.module = x;
      return;
    case 8:
      ee.provider = x;
      return;
    case 9:
      ee.reason = x;
      return;
  }
}

/** Attaches the namespaces flagged in `touched` to `e` (and the syslog fields, if any). */
export function assemble(e: Rec, ee: Rec, v: unknown[], touched: number, syslog: Rec | undefined): void {
  if ((touched & NS.message) !== 0) {
    e.message = v[0];
    v[0] = undefined;
  }
  if ((touched & NS.event) !== 0) ns_event(ee, v);
  if ((touched & NS.source) !== 0) e.source = ns_source(v);
  if ((touched & NS.destination) !== 0) e.destination = ns_destination(v);
  if ((touched & NS.user) !== 0) e.user = ns_user(v);
  if ((touched & NS.process) !== 0) e.process = ns_process(v);
  if ((touched & NS.host) !== 0) e.host = ns_host(v);
  if ((touched & NS.observer) !== 0) e.observer = ns_observer(v);
  if ((touched & NS.url) !== 0) e.url = ns_url(v);
  if ((touched & NS.http) !== 0) e.http = ns_http(v);
  if ((touched & NS.user_agent) !== 0) e.user_agent = ns_user_agent(v);
  if ((touched & NS.network) !== 0) e.network = ns_network(v);
  if ((touched & NS.log) !== 0 || syslog !== undefined) e.log = ns_log(v, syslog);
  if ((touched & NS.error) !== 0) e.error = ns_error(v);
}
