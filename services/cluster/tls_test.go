package cluster_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/services/kit/mtls"
	"github.com/zhbase/zhbase/services/kit/mtls/mtlstest"
)

// TestMutualTLS runs the platform with mutual TLS between its processes:
// the gateway and the services reach each other only with certificates of
// the deployment's CA, and nothing else gets in.
func TestMutualTLS(t *testing.T) {
	ca := mtlstest.NewCA(t)
	files := ca.Issue(t, "zhbase")
	cfg := baseConfig(t.TempDir(), "tls", "all")
	cfg.TLS = files
	cfg.EmbeddedEtcd, cfg.EtcdClientURL, cfg.EtcdPeerURL = true, freeURL(t), freeURL(t)
	p := start(t, cfg, nil, io.Discard)
	t.Cleanup(func() { _ = p.Stop(context.Background()) })
	keys := seed(t, p)

	t.Run("REST works: the gateway reaches the services over mutual TLS", func(t *testing.T) {
		if r := as(keys["czj"]).rest(t, "GET", "http://"+p.HTTPAddr()+"/v1/legalEntities", ""); r.code != 200 {
			t.Fatalf("list: %d %v", r.code, r.body)
		}
	})

	call := func(t *testing.T, creds credentials.TransportCredentials) error {
		t.Helper()
		conn, err := grpc.NewClient(p.GRPCAddr(), grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), "x-api-key", keys["czj"]), 5*time.Second)
		defer cancel()
		_, err = legalentityv1.NewLegalEntityServiceClient(conn).ListLegalEntities(ctx, &legalentityv1.ListLegalEntitiesRequest{})
		return err
	}
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(files.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(pem)

	t.Run("a plaintext client is refused", func(t *testing.T) {
		if err := call(t, insecure.NewCredentials()); status.Code(err) != codes.Unavailable {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a TLS client without a certificate is refused", func(t *testing.T) {
		err := call(t, credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}))
		if err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("a certificate of another CA is refused", func(t *testing.T) {
		other, err := mtls.Load(mtlstest.NewCA(t).Issue(t, "intruder"))
		if err != nil {
			t.Fatal(err)
		}
		if err := call(t, other.Client); err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("a client with the deployment's certificate gets through", func(t *testing.T) {
		own, err := mtls.Load(files)
		if err != nil {
			t.Fatal(err)
		}
		if err := call(t, own.Client); err != nil {
			t.Fatal(err)
		}
	})
}
