package audit

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Kind is what a Problem shows.
type Kind string

const (
	// Changed: a record's content no longer matches its hash, or it was
	// altered and re-hashed while its successor still commits to the old
	// hash.
	Changed Kind = "CHANGED"
	// Reordered: a record is intact but sits where it was not written: it
	// follows neither its predecessor nor precedes its successor.
	Reordered Kind = "REORDERED"
	// Removed: records are missing (a seq gap, records beyond the last one
	// stored that the anchor vouches for, records the checkpoint does not
	// account for).
	Removed Kind = "REMOVED"
	// AnchorMismatch: the record at the anchor's seq has another hash than
	// the anchor: the chain up to it was rewritten and re-hashed.
	AnchorMismatch Kind = "ANCHOR_MISMATCH"
)

// Problem is one sign of tampering.
type Problem struct {
	Kind  Kind
	Chain string
	// Seq is the record concerned; for Removed the first missing seq.
	Seq int64
	// RecordID is the record concerned; for Removed the first record after
	// the missing ones, empty when none follows.
	RecordID string
	Detail   string
}

// String is the one-line form auditors read: "chain X seq N (record ID):
// KIND: detail".
func (p Problem) String() string {
	id := ""
	if p.RecordID != "" {
		id = " (record " + p.RecordID + ")"
	}
	return fmt.Sprintf("chain %s seq %d%s: %s: %s", p.Chain, p.Seq, id, p.Kind, p.Detail)
}

// Report is the outcome of Verify.
type Report struct {
	Chains  int
	Records int64
	// AnchorsChecked is false when Verify ran without an Anchorer.
	AnchorsChecked bool
	// Unanchored lists the chains with records but no anchor: their last
	// records could be removed without a trace.
	Unanchored []string
	// Problems are ordered by chain and seq.
	Problems []Problem
}

// Clean reports whether no problem was found.
func (r Report) Clean() bool { return len(r.Problems) == 0 }

const verifyBatch = 1000

// Verify walks every chain in seq order, recomputes every hash, checks
// every link and compares each chain with its anchor. anchors may be nil,
// which verifies the chains alone: removing a chain's last records, or
// rewriting and re-hashing it, then goes unnoticed.
func Verify(ctx context.Context, st Store, anchors Anchorer) (Report, error) {
	now := time.Now()
	var (
		rep      Report
		anchored map[string]Anchor
		err      error
	)
	// The anchors first: a chain opened, written and anchored after its
	// records were read would otherwise look like records removed.
	if anchors != nil {
		if anchored, err = anchors.List(ctx); err != nil {
			return rep, fmt.Errorf("read the audit anchors: %w", err)
		}
		rep.AnchorsChecked = true
	}
	chains, err := st.Chains(ctx)
	if err != nil {
		return rep, fmt.Errorf("list audit chains: %w", err)
	}
	known := make(map[string]bool, len(chains))
	for _, c := range chains {
		known[c.Name] = true
		var anchor *Anchor
		if a, ok := anchored[c.Name]; ok {
			anchor = &a
		}
		w := &walker{rep: &rep, chain: c, anchor: anchor, refresh: func() (Checkpoint, error) { return currentCheckpoint(ctx, st, c) }}
		if err := w.walk(ctx, st, now); err != nil {
			return rep, err
		}
		rep.Chains++
		if anchors != nil && anchor == nil && w.last > c.Checkpoint.Seq {
			rep.Unanchored = append(rep.Unanchored, c.Name)
		}
	}
	for name, a := range anchored {
		if !known[name] {
			rep.add(Problem{Kind: Removed, Chain: name, Seq: 1,
				Detail: fmt.Sprintf("the chain is anchored at seq %d (at %s) but the database does not know it: the whole chain was removed", a.Seq, a.Time.Format(time.RFC3339))})
		}
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		if a.Chain != b.Chain {
			return a.Chain < b.Chain
		}
		return a.Seq < b.Seq
	})
	sort.Strings(rep.Unanchored)
	return rep, nil
}

func (r *Report) add(p Problem) { r.Problems = append(r.Problems, p) }

// walker checks one chain. A record is judged once the record after it is
// known, because whether a broken link means "this record was moved" or
// "the record before it was rewritten" depends on both of its links.
type walker struct {
	rep    *Report
	chain  Chain
	anchor *Anchor

	// refresh reads the chain's checkpoint again: pruning may move it
	// while the chain is walked.
	refresh func() (Checkpoint, error)

	want int64 // the seq the next record should have
	last int64 // the seq of the last record seen (the checkpoint's before any)
	// pred is the judged record before cur; cur awaits its successor.
	pred, cur *node
	// atAnchor is the record at the anchor's seq, if stored.
	atAnchor *Record
}

type node struct {
	rec Record
	// contentOK: the stored hash is the hash of the content.
	contentOK bool
	// gapBefore: records are missing right before this one.
	gapBefore bool
	// prevBroken: PrevHash is not the hash of the record stored before it.
	prevBroken bool
	// moved: both links are broken; judged as Reordered.
	moved bool
}

func (w *walker) walk(ctx context.Context, st Store, now time.Time) error {
	cp := w.chain.Checkpoint
	w.want, w.last = cp.Seq+1, cp.Seq
	if cp.Seq > 0 && now.Sub(cp.Time) < MinRetention {
		w.problem(Removed, cp.Seq, "", "the checkpoint says records up to seq %d were pruned, the last stored at %s, less than the minimum retention of 180 days ago",
			cp.Seq, cp.Time.Format(time.RFC3339))
	}
	after := cp.Seq
	for {
		recs, err := st.Scan(ctx, w.chain.Name, after, verifyBatch)
		if err != nil {
			return fmt.Errorf("read audit chain %s after seq %d: %w", w.chain.Name, after, err)
		}
		for _, r := range recs {
			if err := w.add(r); err != nil {
				return err
			}
		}
		w.rep.Records += int64(len(recs))
		if len(recs) < verifyBatch {
			break
		}
		after = recs[len(recs)-1].Seq
	}
	w.end()
	return nil
}

func (w *walker) problem(k Kind, seq int64, id, format string, args ...any) {
	w.rep.add(Problem{Kind: k, Chain: w.chain.Name, Seq: seq, RecordID: id, Detail: fmt.Sprintf(format, args...)})
}

func (w *walker) add(r Record) error {
	if r.Seq != w.want {
		cp, err := w.refresh()
		if err != nil {
			return err
		}
		if cp.Seq > w.chain.Checkpoint.Seq && cp.Seq == r.Seq-1 {
			// Pruned while we walked: the chain now legitimately starts
			// here. What was pruned had verified (Prune stops before
			// anything that does not).
			if w.cur != nil {
				w.judge(w.cur, nil, false)
			}
			w.chain.Checkpoint, w.pred, w.cur, w.want = cp, nil, nil, r.Seq
		}
	}
	n := &node{rec: r, contentOK: r.ComputeHash() == r.Hash}
	if r.Seq != w.want {
		n.gapBefore = true
		if r.Seq == w.want+1 {
			w.problem(Removed, w.want, r.ID, "seq %d is missing; the next stored record is seq %d", w.want, r.Seq)
		} else {
			w.problem(Removed, w.want, r.ID, "seqs %d–%d are missing; the next stored record is seq %d", w.want, r.Seq-1, r.Seq)
		}
	}
	prevHash := w.chain.Checkpoint.Hash
	if w.cur != nil {
		prevHash = w.cur.rec.Hash
		w.judge(w.cur, n, r.PrevHash != w.cur.rec.Hash)
		w.pred = w.cur
	}
	n.prevBroken = r.PrevHash != prevHash
	w.cur = n
	w.want, w.last = r.Seq+1, r.Seq
	if w.anchor != nil && r.Seq == w.anchor.Seq {
		w.atAnchor = &n.rec
	}
	return nil
}

func currentCheckpoint(ctx context.Context, st Store, c Chain) (Checkpoint, error) {
	chains, err := st.Chains(ctx)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("list audit chains: %w", err)
	}
	for _, now := range chains {
		if now.Name == c.Name {
			return now.Checkpoint, nil
		}
	}
	return c.Checkpoint, nil
}

func (w *walker) end() {
	if w.cur != nil {
		// The last record has no successor to vouch for it; the anchor
		// does, when it names it.
		vouched := w.anchor != nil && w.anchor.Seq == w.cur.rec.Seq && w.anchor.Hash == w.cur.rec.Hash
		w.judge(w.cur, nil, !vouched)
	}
	a := w.anchor
	if a == nil {
		return
	}
	cp := w.chain.Checkpoint
	at := a.Time.Format(time.RFC3339)
	switch {
	case a.Seq > w.last:
		if a.Seq == w.last+1 {
			w.problem(Removed, w.last+1, "", "the anchor (put at %s) vouches for seq %d, the last stored record is seq %d", at, a.Seq, w.last)
		} else {
			w.problem(Removed, w.last+1, "", "the anchor (put at %s) vouches for seq %d, the last stored record is seq %d: seqs %d–%d were removed", at, a.Seq, w.last, w.last+1, a.Seq)
		}
	case a.Seq == cp.Seq && a.Seq > 0:
		if a.Hash != cp.Hash {
			w.problem(AnchorMismatch, a.Seq, "", "the checkpoint's hash is %s but the anchor (put at %s) says %s: the chain was rewritten before it was pruned", cp.Hash, at, a.Hash)
		}
	case w.atAnchor != nil && w.atAnchor.Hash != a.Hash:
		w.problem(AnchorMismatch, a.Seq, w.atAnchor.ID, "its hash is %s but the anchor (put at %s) says %s: the chain up to here was rewritten and re-hashed, or records were moved here", w.atAnchor.Hash, at, a.Hash)
	}
}

// judge decides about x once its successor next (nil for the last record)
// is known, and whether the link to it is broken.
func (w *walker) judge(x, next *node, nextBroken bool) {
	r := &x.rec
	if !x.contentOK {
		w.problem(Changed, r.Seq, r.ID, "its content does not match its hash %s", r.Hash)
		return
	}
	if !x.prevBroken || x.gapBefore {
		// Intact, or its broken link is explained by the gap before it.
		return
	}
	if nextBroken {
		x.moved = true
		w.problem(Reordered, r.Seq, r.ID, "it is intact but does not follow %s, and %s: it was moved here",
			w.predName(), succName(next))
		return
	}
	// x sits where it was written but its predecessor is not the record it
	// was chained to.
	p := w.pred
	switch {
	case p == nil && w.chain.Checkpoint.Seq == 0:
		w.problem(Removed, r.Seq, r.ID, "the chain starts here but the record was chained to %s, not to the zero hash: earlier records were removed and the rest renumbered", r.PrevHash)
	case p == nil:
		w.problem(Removed, r.Seq, r.ID, "the record was chained to %s, not to the hash %s of the checkpoint at seq %d: records before it were removed or the checkpoint was altered",
			r.PrevHash, w.chain.Checkpoint.Hash, w.chain.Checkpoint.Seq)
	case p.contentOK && !p.moved:
		w.problem(Changed, p.rec.Seq, p.rec.ID, "seq %d was chained to hash %s but this record's hash is %s: it was altered and re-hashed",
			r.Seq, r.PrevHash, p.rec.Hash)
	}
}

func (w *walker) predName() string {
	if w.pred == nil {
		if w.chain.Checkpoint.Seq == 0 {
			return "the chain's start"
		}
		return fmt.Sprintf("the checkpoint at seq %d", w.chain.Checkpoint.Seq)
	}
	return fmt.Sprintf("seq %d (record %s)", w.pred.rec.Seq, w.pred.rec.ID)
}

func succName(next *node) string {
	if next != nil {
		return fmt.Sprintf("seq %d does not follow it", next.rec.Seq)
	}
	return "it is the last record"
}
