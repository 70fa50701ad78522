// Package mtls loads the certificates for mutual TLS between zhbase
// processes: every server demands a client certificate signed by the
// deployment's CA, and every client presents one and checks the server's.
// It never falls back to plaintext once configured.
package mtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"google.golang.org/grpc/credentials"
)

// Files names a process's certificate, its key and the CA that signs every
// process's certificate.
type Files struct {
	Cert, Key, CA string
}

// Enabled reports whether any file is configured.
func (f Files) Enabled() bool { return f.Cert != "" || f.Key != "" || f.CA != "" }

// Credentials are the transport credentials of one process.
type Credentials struct {
	Server credentials.TransportCredentials
	Client credentials.TransportCredentials
}

// Load reads the files and builds server and client credentials. All
// three files are required.
func Load(f Files) (*Credentials, error) {
	if f.Cert == "" || f.Key == "" || f.CA == "" {
		return nil, errors.New("mutual TLS needs a certificate, its key and the CA certificate")
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("load certificate %s: %w", f.Cert, err)
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("read CA %s: %w", f.CA, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA %s holds no PEM certificate", f.CA)
	}
	return &Credentials{
		Server: credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{cert},
			ClientCAs:    pool,
			ClientAuth:   tls.RequireAndVerifyClientCert,
			MinVersion:   tls.VersionTLS13,
		}),
		Client: credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS13,
			// Endpoints come from etcd as addresses, and a channel's
			// authority is the service's etcd name, not a host name: a
			// server is trusted for holding a certificate of the
			// deployment's CA, which verifyChain checks in place of the
			// host name check.
			InsecureSkipVerify:    true, //nolint:gosec // verifyChain checks the chain
			VerifyPeerCertificate: verifyChain(pool),
		}),
	}, nil
}

// verifyChain checks that the peer's certificate chains to the CA and is
// meant for a server.
func verifyChain(pool *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("the server presented no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, r := range raw {
			c, err := x509.ParseCertificate(r)
			if err != nil {
				return fmt.Errorf("server certificate: %w", err)
			}
			certs[i] = c
		}
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		return err
	}
}
