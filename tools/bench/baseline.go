package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/services/kit/server"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/legalentity"
	legalentityapi "github.com/zhbase/zhbase/services/legalentity/api"
	legalentitystore "github.com/zhbase/zhbase/services/legalentity/sqlstore"
)

// Baseline is a bare server on a loopback port that answers with a canned
// legal entity: what a call costs with no zhbase code in the way.
type Baseline struct {
	addr  string
	close func()
}

// Addr is the host:port the baseline listens on.
func (b *Baseline) Addr() string { return b.addr }

// Close stops the baseline.
func (b *Baseline) Close() { b.close() }

// StartGRPCBaseline serves LegalEntityService.GetLegalEntity from a plain
// grpc.NewServer() — no interceptors, no stats handler, no health or
// reflection — always returning e, whatever the request names. The other
// methods answer Unimplemented.
func StartGRPCBaseline(e *legalentityv1.LegalEntity) (*Baseline, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the gRPC baseline: %w", err)
	}
	srv := grpc.NewServer()
	legalentityv1.RegisterLegalEntityServiceServer(srv, &cannedLegalEntity{e: proto.Clone(e).(*legalentityv1.LegalEntity)})
	go func() { _ = srv.Serve(lis) }()
	return &Baseline{addr: lis.Addr().String(), close: srv.Stop}, nil
}

type cannedLegalEntity struct {
	legalentityv1.UnimplementedLegalEntityServiceServer
	e *legalentityv1.LegalEntity
}

func (c *cannedLegalEntity) GetLegalEntity(context.Context, *legalentityv1.GetLegalEntityRequest) (*legalentityv1.LegalEntity, error) {
	return c.e, nil
}

// StartHTTPBaseline serves GET /v1/legalEntities/{uscc} from a plain
// net/http server, always writing e marshalled once with protojson (the
// gateway's JSON of the same entity, give or take protojson's deliberately
// unstable whitespace).
func StartHTTPBaseline(e *legalentityv1.LegalEntity) (*Baseline, error) {
	body, err := protojson.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("marshal the canned entity: %w", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the HTTP baseline: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/legalEntities/{uscc}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	// Serve's error only matters as failed calls, which the load generator
	// counts.
	go func() { _ = srv.Serve(lis) }()
	return &Baseline{addr: lis.Addr().String(), close: func() { _ = srv.Close() }}, nil
}

// StartBareRegistry serves the legal-entity registry — legalentity.Service
// over its sqlstore on the SQLite file at path, the handler of
// services/legalentity/api — from a kit server with the kit's own
// interceptors only (logging to log, recovery, request validation, the
// otelgrpc stats handler): no identity check, access policy, item
// filtering, rate limit or audit record, so every caller is answered and
// sees every item. It is what a registry call costs without authorisation
// and audit; pointed at the file a cluster's registry uses, it reads the
// same records through a pool of its own.
func StartBareRegistry(ctx context.Context, path string, log *slog.Logger) (*Baseline, error) {
	if log == nil {
		log = slog.Default()
	}
	db, err := store.Open(ctx, store.Options{SQLitePath: path, Name: "legalentity"})
	if err != nil {
		return nil, err
	}
	st, err := legalentitystore.Open(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open the legal-entity store at %s: %w", path, err)
	}
	srv, err := server.New(server.Options{Logger: log})
	if err != nil {
		db.Close()
		return nil, err
	}
	legalentityapi.Register(srv, legalentity.NewService(st))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("listen for the bare registry: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	return &Baseline{addr: lis.Addr().String(), close: sync.OnceFunc(func() {
		srv.GRPC().Stop()
		if err := <-done; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			log.Warn("bare registry stopped", "error", err.Error())
		}
		db.Close()
	})}, nil
}
