package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zhbase/zhbase/services/cluster"
	"github.com/zhbase/zhbase/services/exchange"
	exchangestore "github.com/zhbase/zhbase/services/exchange/sqlstore"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/store"
)

func TestExchangeBootstrap(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := exchangeCommand(append([]string{"bootstrap", "-data-dir", dir}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	key := regexp.MustCompile(`zk_\S+`)

	code, out, errOut := run("-admin", "dsjj", "-name", "镇海区大数据发展管理局")
	if code != 0 || !key.MatchString(out) {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
	t.Run("the printed key authenticates as the admin department", func(t *testing.T) {
		ctx := context.Background()
		db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(dir, "exchange.db"), Name: "exchange"})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		st, err := exchangestore.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := exchange.New(ctx, st, exchange.Options{Resources: cluster.PlatformResources()})
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.Authenticate(auth.NewContext(ctx, auth.Identity{Service: "gateway"}), key.FindString(out))
		if err != nil || got.Identity.Department != "dsjj" || !got.Identity.Admin {
			t.Fatalf("authenticated as %+v, %v", got, err)
		}
	})
	t.Run("running it again issues another key for the same admin", func(t *testing.T) {
		code, again, _ := run("-admin", "dsjj")
		if code != 0 || key.FindString(again) == key.FindString(out) {
			t.Fatalf("exit %d, out %q", code, again)
		}
	})
	t.Run("a bad department code is refused naming the flag", func(t *testing.T) {
		code, _, errOut := run("-admin", "Not A Code")
		if code != 2 || !strings.Contains(errOut, "-admin") {
			t.Fatalf("exit %d, err %q", code, errOut)
		}
	})
}
