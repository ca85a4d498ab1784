/**
 * Python stand-ins for Vibe-Trading's governance/ledger.py, written from its
 * documented behaviour: verify walks the file from genesis; append reads the
 * file with str.splitlines(), refuses a broken chain, and appends
 * json.dumps({**payload, seq, prev_record_hash, record_hash}, ensure_ascii=False)
 * under flock.
 */
const COMMON = `
import fcntl, hashlib, json, sys
CHAIN = ("seq", "prev_record_hash", "record_hash")
def canon(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
def record_hash(seq, prev, payload):
    return "sha256:" + hashlib.sha256(canon({"seq": seq, "prev_record_hash": prev, "payload": payload}).encode("utf-8")).hexdigest()
def walk(lines):
    prev, seq = "sha256:genesis", 0
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        rec = json.loads(line)
        if rec["seq"] != seq + 1 or rec["prev_record_hash"] != prev:
            return False, seq, prev
        payload = {k: v for k, v in rec.items() if k not in CHAIN}
        if record_hash(rec["seq"], prev, payload) != rec["record_hash"]:
            return False, seq, prev
        prev, seq = rec["record_hash"], seq + 1
    return True, seq, prev
`;

/** argv: chain file. Prints "ok N" or "broken after N" (exit 1). */
export const PY_VERIFY_CHAIN = `${COMMON}
with open(sys.argv[1], encoding="utf-8") as f:
    ok, n, _ = walk(f)
print(("ok %d" if ok else "broken after %d") % n)
sys.exit(0 if ok else 1)`;

/** argv: chain file, payload JSON. Appends one record as ledger.py's append_record does; prints the seq. */
export const PY_APPEND_CHAIN = `${COMMON}
payload = json.loads(sys.argv[2])
with open(sys.argv[1], "a+b") as h:
    fcntl.flock(h.fileno(), fcntl.LOCK_EX)
    h.seek(0)
    ok, seq, prev = walk(h.read().decode("utf-8").splitlines())
    if not ok:
        print("LedgerCorruptionError")
        sys.exit(2)
    full = {**payload, "seq": seq + 1, "prev_record_hash": prev, "record_hash": record_hash(seq + 1, prev, payload)}
    h.write((json.dumps(full, ensure_ascii=False) + "\\n").encode("utf-8"))
    h.flush()
print(seq + 1)`;
