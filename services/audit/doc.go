// Package audit is the platform's audit log (审计日志): evidence of every call
// to a registry, allowed or refused, in the manner of X-Road's message log.
// A registry appends one Record per call and answers only once the record is
// committed, so a call that cannot be audited is not answered.
//
// This package holds the domain: the Record and its hash, the Log that
// appends (group commit, anchoring, retention), Verify, which finds
// tampering, and Search. Storage is behind Store (implemented in sqlstore/),
// the anchor witness behind Anchorer (etcdanchor/), the gRPC face in api/.
// It must never import SQL or gRPC, never log a record's content (it names
// people, purposes and case references), and never change or delete a
// stored record except by pruning a verified prefix older than the
// retention period.
//
// # Chains
//
// Every writing process appends to a chain of its own (Options.Chain), so
// that processes never contend for one head. Within a chain records are
// numbered 1, 2, 3, … (Seq) and each carries the hash of the record before
// it (PrevHash); the first record's PrevHash is 64 zeros. The Log puts the
// chain's head (seq and hash) into etcd every few seconds (the anchor):
// whoever can write the database but not etcd cannot remove the last
// records, or rewrite and re-hash the chain, without Verify noticing.
//
// # Hash
//
// Hash is the lowercase hexadecimal SHA-256 of the following fields, each
// written as its length in bytes (4-byte unsigned big-endian) followed by
// its bytes, in this order:
//
//  1. the scheme tag, the ASCII text "zhbase-audit-v1"
//  2. PrevHash, 64 lowercase hexadecimal characters
//  3. ID
//  4. Chain
//  5. Time, as UTC text "2006-01-02T15:04:05.000000Z" (always 27 bytes)
//  6. Department
//  7. Application
//  8. Principal
//  9. Purpose
//  10. CaseReference
//  11. Method
//  12. the number of Resources, as decimal ASCII digits ("0" when none)
//  13. each resource name, one field each, in stored order
//  14. Result
//  15. Detail
//  16. RequestHash
//
// Text is UTF-8 exactly as stored. Seq is deliberately not hashed: a
// record's position is what the PrevHash links prove, and seq is the index
// used to find gaps, checked against those links and bound to the hash by
// the anchors. This is what lets Verify tell a record that was moved
// (REORDERED: its content still matches its hash) from one that was altered
// (CHANGED).
//
// # Retention
//
// Records older than the retention period (at least 180 days) are pruned
// per chain, oldest first, and only as far as the chain verifies. The seq
// and hash of the last pruned record stay behind as the chain's checkpoint,
// with that record's time; the first remaining record must follow it.
// Verify reports a checkpoint whose time is within the minimum retention,
// but the checkpoint is otherwise trusted as stored: whoever can write the
// database and forges an old checkpoint time can hide the deletion of the
// oldest records, which is why the database's write access must be kept
// from everyone but the Log.
package audit
