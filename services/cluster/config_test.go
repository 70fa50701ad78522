package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parse(t *testing.T, args []string, env map[string]string, file string) (Config, error) {
	t.Helper()
	if file != "" {
		path := filepath.Join(t.TempDir(), "zhbase.yaml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		env["ZHBASE_CONFIG_FILE"] = path
	}
	var cfg Config
	fs := cfg.FlagSet("test")
	err := cfg.Parse(fs, args, func(k string) string { return env[k] })
	return cfg, err
}

func TestConfigPrecedenceIsFlagThenEnvironmentThenFileThenDefault(t *testing.T) {
	file := "target: [legalentity]\nlog.level: warn\nhttp.listen-address: 127.0.0.1:7000\ndata-dir: /from/file\n"
	env := map[string]string{"ZHBASE_LOG_LEVEL": "error", "ZHBASE_DATA_DIR": "/from/env"}
	cfg, err := parse(t, []string{"-data-dir", "/from/flag", "-auth.cluster-key-file", "/k"}, env, file)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"a flag beats the environment and the file", cfg.DataDir, "/from/flag"},
		{"the environment beats the file", cfg.LogLevel, "error"},
		{"the file beats the default", cfg.HTTPListen, "127.0.0.1:7000"},
		{"a list in the file becomes the targets", strings.Join(cfg.Targets, ","), "legalentity"},
		{"the default holds where nothing is set", cfg.GRPCListen, "127.0.0.1:9090"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestConfigNamesEveryBadValue(t *testing.T) {
	_, err := parse(t, []string{"-target", "legalentity,nope", "-log.level", "loud", "-http.listen-address", "8080", "-etcd.lease-ttl", "10ms"}, map[string]string{}, "")
	if err == nil {
		t.Fatal("bad values were accepted")
	}
	for _, want := range []string{`-target: unknown target "nope"`, "-log.level", "-http.listen-address", "-etcd.lease-ttl", "-auth.cluster-key-file: is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestConfigFileWithUnknownKeyIsRefused(t *testing.T) {
	_, err := parse(t, []string{"-target", "all"}, map[string]string{}, "log.levle: info\n")
	if err == nil || !strings.Contains(err.Error(), `unknown key "log.levle"`) {
		t.Fatalf("err = %v, want the unknown key named", err)
	}
}

func TestPerRegistryPostgresDSNFlags(t *testing.T) {
	cfg, err := parse(t, []string{"-target", "legalentity"}, map[string]string{"ZHBASE_LEGALENTITY_POSTGRES_DSN": "postgres://x@db/le", "ZHBASE_AUTH_CLUSTER_KEY_FILE": "/k"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PostgresDSN["legalentity"] != "postgres://x@db/le" {
		t.Fatalf("PostgresDSN = %v", cfg.PostgresDSN)
	}
}
