package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/zhbase/zhbase/tools/bench"
	"github.com/zhbase/zhbase/tools/demo"
)

// measureWrites measures writes with history and the feed against a plain
// table, and the feed's delivery lag, on SQLite in dir and, with
// -postgres, on PostgreSQL; it adds the results and their notes to rep.
func measureWrites(ctx context.Context, o options, dir string, rep *bench.Report, logf logFunc) (err error) {
	dbs := []*bench.Databases{bench.SQLiteDatabases(dir)}
	if o.postgres != "" {
		dbs = append(dbs, bench.PostgresDatabases(o.postgres))
	}
	for _, d := range dbs {
		b := bench.WriteBench{
			Databases: d, Entities: o.entities, Seed: demo.DefaultSeed, Workers: o.writeWorkers,
			Duration: o.duration, Warmup: o.warmup, Drain: writeDrain, Logf: logf,
		}
		cmp, lag, err := b.Run(ctx)
		// The databases are closed (PostgreSQL schemas dropped) whatever
		// happened.
		err = errors.Join(err, d.Close())
		if err != nil {
			return fmt.Errorf("writes on %s: %w", d.Backend, err)
		}
		rep.Writes = append(rep.Writes, cmp)
		rep.FeedLags = append(rep.FeedLags, lag)
	}

	where := make([]string, len(dbs))
	for i, d := range dbs {
		switch d.Backend {
		case "postgresql":
			where[i] = "PostgreSQL at " + d.Where + " (a schema per target, dropped afterwards)"
		default:
			where[i] = "SQLite files in a temporary directory (store.Open: WAL, synchronous FULL, immediate transactions)"
		}
	}
	if o.postgres == "" {
		where = append(where, "PostgreSQL not measured: pass -postgres DSN to add it")
	}
	rep.Notes = append(rep.Notes,
		fmt.Sprintf("write/*: %d demo legal entities (seed %d) created first in each of three fresh databases, one per target; then %d closed-loop writers for %s (after a %s warm-up), target after target, each write updating a random entity: read it, change one field (%s), stamp update_time and revision, write it back, in one transaction",
			o.entities, demo.DefaultSeed, o.writeWorkers, o.duration, o.warmup, strings.Join(bench.MutatedFields, ", ")),
		"write databases: "+strings.Join(where, "; "),
		fmt.Sprintf("%s: table %s keyed by uscc holding the same JSON document and the same %d index columns (sqlstore.Open's Columns/Values) with the same secondary indexes; per write one SELECT of the document and one UPDATE ... SET doc=?, cols... WHERE uscc=? (on PostgreSQL the SELECT is FOR UPDATE), in a store.DB.InTx of its own; no history, no feed",
			bench.PlainTargetName, bench.PlainTableName, len(bench.IndexColumns)),
		fmt.Sprintf("%s: the registry's legal_entities table (sqlstore's migrations, same index columns) without the search-term side table; per write, in one transaction: take the next feed sequence (feed_head), read the current knowledge, close the current row, insert the restated and the new version, append the change event",
			bench.TemporalTargetName),
		fmt.Sprintf("%s: the registry's production store; on top of history and feed it rewrites the entity's search terms (legal_entity_terms) in the same transaction", bench.ProductionTargetName),
		"SQLite admits one writer at a time (the store queues a process's writers in a mutex), so more writers queue rather than add throughput; on PostgreSQL the temporal store's feed_head row lock serialises its writers too, while the plain table locks only the row written",
	)
	for _, l := range rep.FeedLags {
		rep.Notes = append(rep.Notes, fmt.Sprintf("feed/%s: after its throughput run, the temporal table again under %d writers for %s, with one watcher calling Feed.Watch from the head (batches of up to 500); lag = time the watcher's send got the change - time the writer's Update returned, paired by sequence (Update returns the current version, which carries the write's sequence); %d of %d changes reached the watcher before their own Update had returned (woken by another write), which counts as a negative lag; the run fails unless every committed sequence is delivered exactly once",
			l.Backend, l.Workers, o.duration, l.Lag.Early, l.Lag.Committed))
	}
	if len(rep.FeedLags) > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("feed lag is for writes in the watcher's own process, which wake it at once (the store signals the feed after each commit); writes from other processes sharing the database are seen within Feed.PollInterval (%s), so their lag is up to that much longer",
			rep.FeedLags[0].PollInterval))
	}
	return nil
}
