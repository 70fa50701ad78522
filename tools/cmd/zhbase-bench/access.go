package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	auditv1 "github.com/zhbase/zhbase/proto/zhbase/audit/v1"
	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	auditapi "github.com/zhbase/zhbase/services/audit/api"
	"github.com/zhbase/zhbase/services/cluster"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/discovery"
	legalentityapi "github.com/zhbase/zhbase/services/legalentity/api"
	"github.com/zhbase/zhbase/tools/bench"
	"github.com/zhbase/zhbase/tools/demo"
)

// seedAccess admits the demo departments with their catalogue, grants and
// API keys, and waits until the registry enforces that policy: until then
// it refuses every call. It returns the API keys by department.
func seedAccess(ctx context.Context, p *cluster.Process) (map[string]string, error) {
	keys, err := demo.SeedExchange(ctx, p.Exchange())
	if err != nil {
		return nil, fmt.Errorf("seed the exchange: %w", err)
	}
	rev, err := p.Exchange().PolicyRevision(ctx)
	if err != nil {
		return nil, fmt.Errorf("access policy revision: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := p.WaitPolicy(wctx, rev); err != nil {
		return nil, err
	}
	return keys, nil
}

// dialRegistryAs connects to the legal-entity registry through etcd, every
// call carrying id signed with the cluster key.
func dialRegistryAs(p *cluster.Process, id auth.Identity) (*grpc.ClientConn, error) {
	return discovery.Dial(p.Etcd(), "legalentity", discovery.DialOptions{
		ProtoServices: []string{legalentityapi.ServiceName},
		Extra:         []grpc.DialOption{grpc.WithPerRPCCredentials(auth.IdentityCredentials(p.Signer(), id))},
	})
}

// measureAuthz measures what authorisation and audit cost a Get: the same
// registry code over the same SQLite file, read with the same plain client
// (no discovery, no client interceptors) by the same workers over the same
// names, once from a kit server with nothing but the kit's interceptors
// and once from the cluster's server, whose enforcer admits, filters and
// audits every call. It returns the comparison and its note.
func measureAuthz(ctx context.Context, p *cluster.Process, dbPath string, names []string, reader auth.Identity, measure measureFunc, logger *slog.Logger) (bench.Comparison, string, error) {
	var cmp bench.Comparison
	if _, err := os.Stat(dbPath); err != nil {
		return cmp, "", fmt.Errorf("the cluster's legal-entity database: %w", err)
	}
	bare, err := bench.StartBareRegistry(ctx, dbPath, logger)
	if err != nil {
		return cmp, "", err
	}
	defer bare.Close()
	plain, err := grpc.NewClient(bare.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return cmp, "", err
	}
	defer plain.Close()
	enforced, err := grpc.NewClient(p.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.IdentityCredentials(p.Signer(), reader)))
	if err != nil {
		return cmp, "", err
	}
	defer enforced.Close()
	without := legalentityv1.NewLegalEntityServiceClient(plain)
	with := legalentityv1.NewLegalEntityServiceClient(enforced)

	// Both must answer with the same record, the enforced side without
	// the items the reader may not see.
	req := &legalentityv1.GetLegalEntityRequest{Name: names[0]}
	full, err := without.GetLegalEntity(ctx, req)
	if err != nil {
		return cmp, "", fmt.Errorf("read %s without authz: %w", names[0], err)
	}
	seen, err := with.GetLegalEntity(ctx, req)
	if err != nil {
		return cmp, "", fmt.Errorf("read %s with authz as %s: %w", names[0], reader.Department, err)
	}
	if full.GetName() != seen.GetName() || full.GetEtag() != seen.GetEtag() {
		return cmp, "", fmt.Errorf("%s: the bare registry answers %s@%s, the cluster's %s@%s: not the same file", names[0], full.GetName(), full.GetEtag(), seen.GetName(), seen.GetEtag())
	}
	if full.GetLegalRepresentative().GetIdNumber() == "" || seen.GetLegalRepresentative().GetIdNumber() != "" {
		return cmp, "", fmt.Errorf("%s: the representative's ID number must reach the bare registry's caller and be withheld from %s (got %t and %t)",
			names[0], reader.Department, full.GetLegalRepresentative().GetIdNumber() != "", seen.GetLegalRepresentative().GetIdNumber() != "")
	}

	const protocol = "grpc authz+audit"
	cmp = bench.Comparison{
		Protocol:  protocol,
		Baseline:  measure(protocol, "legalentity.Get without authz and audit", getOp(without, names)),
		Real:      measure(protocol, "legalentity.Get with authz and audit", getOp(with, names)),
		RatioName: "with/without authz+audit",
	}
	note := fmt.Sprintf("%s: both sides run legalentity.Service over services/legalentity/sqlstore on the cluster's SQLite file %s, behind a kit server (server.New: logging at warn, recovery, protovalidate, otelgrpc) on loopback in this process, read by a plain grpc.NewClient (no discovery, no client interceptors) with the same workers and names. "+
		"Without: a second kit server with no other interceptor and a pool of its own (store.Open); every caller answered, every item returned (%d bytes protobuf). "+
		"With: the cluster's registry read as %s, its identity assertion (auth.IdentityCredentials: signed once a minute, the same token on every call in between) sent with each call; the enforcer verifies the assertion's signature, consults the rate limiter, authorises the method and items against the exchange's policy, hashes the request, filters the answer to %s's items (%d bytes: legal_representative.id_number withheld), and answers only once the call's audit record is group-committed to the audit log (SQLite, synchronous FULL). "+
		"The cluster's exchange, audit service, gateway and etcd run in the same process, idle but for the policy watch and the audit log's anchoring",
		protocol, dbPath, proto.Size(full), reader.Department, reader.Department, proto.Size(seen))
	return cmp, note, nil
}

// verifyAudit verifies the cluster's whole audit log through the audit
// service, as the administering department with its API key. answered is
// how many measured calls the enforcer answered, each of which must have
// left a record.
func verifyAudit(ctx context.Context, p *cluster.Process, adminKey string, answered int) (*bench.AuditVerification, error) {
	conn, err := discovery.Dial(p.Etcd(), cluster.AuditTarget, discovery.DialOptions{ProtoServices: []string{auditapi.ServiceName}})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	vctx, cancel := context.WithTimeout(ctx, auditVerifyTimeout)
	defer cancel()
	vctx = metadata.AppendToOutgoingContext(vctx, auth.MDAPIKey, adminKey)
	t0 := time.Now()
	resp, err := auditv1.NewAuditServiceClient(conn).VerifyAuditLog(vctx, &auditv1.VerifyAuditLogRequest{})
	if err != nil {
		return nil, fmt.Errorf("verify the audit log as %s: %w", demo.AdminDepartment, err)
	}
	v := &bench.AuditVerification{
		Chains: int(resp.GetChainsChecked()), Records: resp.GetRecordsChecked(), Audited: answered,
		AnchorsChecked: resp.GetAnchorsChecked(), Unanchored: resp.GetUnanchoredChains(), Took: time.Since(t0),
	}
	for _, pr := range resp.GetProblems() {
		v.Problems = append(v.Problems, fmt.Sprintf("chain %s seq %d (%s): %s: %s", pr.GetChain(), pr.GetSeq(), pr.GetAuditRecord(), pr.GetKind(), pr.GetDetail()))
	}
	return v, nil
}

// auditVerifyTimeout bounds the verification, which rehashes every record.
const auditVerifyTimeout = 5 * time.Minute
