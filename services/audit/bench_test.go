package audit_test

import (
	"testing"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
)

// BenchmarkAppend measures durable appends from many goroutines at once,
// the way a busy registry makes them: group commit is what keeps the cost
// per call far below one transaction per call.
func BenchmarkAppend(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			st := openStore(b, backend.Open(b))
			l := openLog(b, st, audit.Options{Chain: newChain()})
			rec := call(1)
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := l.Append(ctx, rec); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if h := l.Head(); h.Seq < int64(b.N) {
				b.Fatalf("head at seq %d after %d appends", h.Seq, b.N)
			}
		})
	}
}
