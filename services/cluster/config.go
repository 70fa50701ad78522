package cluster

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/zhbase/zhbase/services/kit/mtls"
)

// Config is the whole configuration of one zhbase process. Every field has
// a flag; each flag can also come from the environment (ZHBASE_ and the flag
// name in upper case with . and - as _) or from the YAML file named by
// --config.file (keys are flag names). A flag on the command line beats the
// environment, which beats the file, which beats the default.
type Config struct {
	Targets         []string
	GRPCListen      string
	GRPCAdvertise   string
	HTTPListen      string
	EtcdEndpoints   []string
	EtcdLeaseTTL    time.Duration
	DataDir         string
	PostgresDSN     map[string]string
	LogLevel        string
	LogFormat       string
	ShutdownTimeout time.Duration

	// ClusterKeyFile holds the secret every process of the deployment
	// shares to sign the identities that travel between them.
	ClusterKeyFile string
	// TLS enables mutual TLS between processes when set.
	TLS mtls.Files
	// AuditChain names this process's chain in the audit log; unique per
	// process writing to one audit database.
	AuditChain          string
	AuditRetention      time.Duration
	AuditAnchorInterval time.Duration
	// RateLimit and RateBurst are a department's calls per second per
	// process when the exchange sets no limit of its own.
	RateLimit float64
	RateBurst int

	// Set by `zhbase up`, not by flags of `serve`.
	// GenerateClusterKey creates a cluster key under -data-dir when no key
	// file is named.
	GenerateClusterKey bool
	EmbeddedEtcd       bool
	EtcdClientURL      string
	EtcdPeerURL        string
	ConfigFile         string
}

// FlagSet declares cfg's flags on a new FlagSet named name.
func (cfg *Config) FlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Func("target", "comma-separated targets to run, or all (see -list-targets)", func(s string) error {
		cfg.Targets = splitList(s)
		return nil
	})
	fs.StringVar(&cfg.GRPCListen, "grpc.listen-address", "127.0.0.1:9090", "address the gRPC server listens on")
	fs.StringVar(&cfg.GRPCAdvertise, "grpc.advertise-address", "", "address registered in etcd for other processes to dial (default: the listen address)")
	fs.StringVar(&cfg.HTTPListen, "http.listen-address", "127.0.0.1:8080", "address of the HTTP server: REST gateway, docs, /healthz, /metrics")
	fs.Func("etcd.endpoints", "comma-separated etcd endpoints (default 127.0.0.1:2379)", func(s string) error {
		cfg.EtcdEndpoints = splitList(s)
		return nil
	})
	fs.DurationVar(&cfg.EtcdLeaseTTL, "etcd.lease-ttl", 10*time.Second, "TTL of the lease behind each registered endpoint")
	fs.StringVar(&cfg.DataDir, "data-dir", "data", "directory of the SQLite databases")
	for _, svc := range DatabaseComponents() {
		fs.Func(svc+".postgres-dsn", "PostgreSQL DSN of the "+svc+" database (SQLite under -data-dir when empty)", func(s string) error {
			if cfg.PostgresDSN == nil {
				cfg.PostgresDSN = map[string]string{}
			}
			cfg.PostgresDSN[svc] = s
			return nil
		})
	}
	fs.StringVar(&cfg.LogLevel, "log.level", "info", "debug, info, warn or error")
	fs.StringVar(&cfg.LogFormat, "log.format", "text", "text or json")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long in-flight calls may run on shutdown")
	fs.StringVar(&cfg.ConfigFile, "config.file", "", "optional YAML file of flag values")
	fs.StringVar(&cfg.ClusterKeyFile, "auth.cluster-key-file", "", "file holding the deployment's shared secret (at least 32 bytes) that signs identities between processes; required (zhbase up creates one in -data-dir)")
	fs.StringVar(&cfg.TLS.Cert, "tls.cert-file", "", "this process's certificate (PEM) for mutual TLS between processes")
	fs.StringVar(&cfg.TLS.Key, "tls.key-file", "", "the certificate's private key (PEM)")
	fs.StringVar(&cfg.TLS.CA, "tls.ca-file", "", "the CA certificate (PEM) every process's certificate must chain to")
	fs.StringVar(&cfg.AuditChain, "audit.chain", "", "name of this process's chain in the audit log (default: host name and gRPC port)")
	fs.DurationVar(&cfg.AuditRetention, "audit.retention", 180*24*time.Hour, "how long audit records are kept (at least 180 days)")
	fs.DurationVar(&cfg.AuditAnchorInterval, "audit.anchor-interval", 10*time.Second, "how often the audit chain's head is anchored in etcd")
	fs.Float64Var(&cfg.RateLimit, "ratelimit.default-rps", 100, "a department's calls per second per process, unless the exchange sets its own")
	fs.IntVar(&cfg.RateBurst, "ratelimit.default-burst", 200, "burst of calls above the default rate")
	return fs
}

// Parse reads args, then the environment and the config file for every
// flag not given on the command line, then validates.
func (cfg *Config) Parse(fs *flag.FlagSet, args []string, env func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var file map[string]any
	if cfg.ConfigFile == "" {
		cfg.ConfigFile = env("ZHBASE_CONFIG_FILE")
	}
	if cfg.ConfigFile != "" {
		b, err := os.ReadFile(cfg.ConfigFile)
		if err != nil {
			return fmt.Errorf("config file: %w", err)
		}
		if err := yaml.Unmarshal(b, &file); err != nil {
			return fmt.Errorf("config file %s: %w", cfg.ConfigFile, err)
		}
		for k := range file {
			if fs.Lookup(k) == nil {
				return fmt.Errorf("config file %s: unknown key %q (keys are flag names)", cfg.ConfigFile, k)
			}
		}
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || f.Name == "config.file" {
			return
		}
		if v := env(EnvName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", EnvName(f.Name), err))
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			s := fmt.Sprint(v)
			if list, ok := v.([]any); ok {
				parts := make([]string, len(list))
				for i, p := range list {
					parts[i] = fmt.Sprint(p)
				}
				s = strings.Join(parts, ",")
			}
			if err := fs.Set(f.Name, s); err != nil {
				errs = append(errs, fmt.Errorf("config file key %s: %w", f.Name, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(cfg.EtcdEndpoints) == 0 {
		cfg.EtcdEndpoints = []string{"127.0.0.1:2379"}
	}
	return cfg.Validate()
}

// EnvName is the environment variable of a flag.
func EnvName(flagName string) string {
	return "ZHBASE_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(flagName))
}

// Validate reports every bad value, each with the flag that holds it.
func (cfg *Config) Validate() error {
	var errs []error
	bad := func(flag, format string, args ...any) {
		errs = append(errs, fmt.Errorf("-%s: %s", flag, fmt.Sprintf(format, args...)))
	}
	if len(cfg.Targets) == 0 {
		bad("target", "is required: name one or more of %s, or all", strings.Join(AllTargets(), ", "))
	}
	for _, t := range cfg.Targets {
		if t != "all" && !slices.Contains(AllTargets(), t) {
			bad("target", "unknown target %q; known targets are %s, or all", t, strings.Join(AllTargets(), ", "))
		}
	}
	for flag, addr := range map[string]string{"grpc.listen-address": cfg.GRPCListen, "http.listen-address": cfg.HTTPListen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad(flag, "%q is not host:port", addr)
		}
	}
	if cfg.GRPCAdvertise != "" {
		if host, _, err := net.SplitHostPort(cfg.GRPCAdvertise); err != nil || host == "" || host == "0.0.0.0" || host == "::" {
			bad("grpc.advertise-address", "%q must be a host:port other processes can dial", cfg.GRPCAdvertise)
		}
	}
	for _, ep := range cfg.EtcdEndpoints {
		if ep == "" {
			bad("etcd.endpoints", "has an empty endpoint")
		}
	}
	if cfg.EtcdLeaseTTL < time.Second {
		bad("etcd.lease-ttl", "must be at least 1s, got %s", cfg.EtcdLeaseTTL)
	}
	if cfg.DataDir == "" {
		bad("data-dir", "must not be empty")
	} else if abs, err := filepath.Abs(cfg.DataDir); err == nil {
		cfg.DataDir = abs
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, cfg.LogLevel) {
		bad("log.level", "must be debug, info, warn or error, got %q", cfg.LogLevel)
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		bad("log.format", "must be text or json, got %q", cfg.LogFormat)
	}
	if cfg.ClusterKeyFile == "" && cfg.GenerateClusterKey && cfg.DataDir != "" {
		cfg.ClusterKeyFile = filepath.Join(cfg.DataDir, "cluster.key")
	}
	if cfg.ClusterKeyFile == "" {
		bad("auth.cluster-key-file", "is required: every process of a deployment signs and checks identities with the same secret")
	}
	if cfg.TLS.Enabled() && (cfg.TLS.Cert == "" || cfg.TLS.Key == "" || cfg.TLS.CA == "") {
		bad("tls.cert-file", "mutual TLS needs -tls.cert-file, -tls.key-file and -tls.ca-file together")
	}
	if cfg.AuditRetention < 180*24*time.Hour {
		bad("audit.retention", "must be at least 180 days (4320h), got %s", cfg.AuditRetention)
	}
	if cfg.AuditAnchorInterval < time.Second {
		bad("audit.anchor-interval", "must be at least 1s, got %s", cfg.AuditAnchorInterval)
	}
	if cfg.RateLimit <= 0 || cfg.RateBurst < 1 {
		bad("ratelimit.default-rps", "rate and burst must be positive, got %g and %d", cfg.RateLimit, cfg.RateBurst)
	}
	if cfg.ShutdownTimeout <= 0 {
		bad("shutdown-timeout", "must be positive, got %s", cfg.ShutdownTimeout)
	}
	return errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
