package main

import (
	"strings"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
)

// TestEraseCommands: leads come in through the running server's webhook;
// `leadbox erase --dry-run` counts them, `leadbox erase` erases them
// while the server runs, `leadbox erasures` lists the record, and the
// database holds none of the forms the phone and email were sent in.
func TestEraseCommands(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		env := environ(nil)
		srv := startServer(t, dsn, env)
		var src sourceOut
		cliJSON(t, env, &src, "source", "create", "--name", "Сайт", "--db", dsn, "--base-url", srv.url)
		leadData(t, post(t, client, src.URL, `{"phone": "+7 916 222-33-44", "email": "Cli.Subject@Example.net", "name": "Клим Стёртый"}`))
		leadData(t, post(t, client, src.URL, `{"phone": "89162223344"}`))
		leadData(t, post(t, client, src.URL, `{"phone": "79035550011", "name": "Другой"}`))

		if _, err := cli(t, env, "erase", "--phone", "89162223344", "--db", dsn); err == nil || !strings.Contains(err.Error(), "Основание") {
			t.Errorf("erase without --reason: %v", err)
		}
		if _, err := cli(t, env, "erase", "--reason", "x", "--db", dsn); err == nil {
			t.Errorf("erase without --phone or --email succeeded")
		}
		var dry lead.Erasure
		cliJSON(t, env, &dry, "erase", "--phone", "8 (916) 222-33-44", "--email", "cli.subject@example.net", "--reason", "Заявление", "--dry-run", "--db", dsn)
		if !dry.DryRun || dry.Counts.Leads != 2 || dry.Counts.Deliveries != 2 || dry.ID != 0 {
			t.Fatalf("dry run: %+v", dry)
		}
		var e lead.Erasure
		cliJSON(t, env, &e, "erase", "--phone", "8 (916) 222-33-44", "--email", "cli.subject@example.net", "--reason", "Заявление", "--db", dsn)
		if e.ID == 0 || e.Counts.Leads != 2 || e.Actor != "CLI" || e.Purged == nil {
			t.Fatalf("erase: %+v", e)
		}
		var list []lead.Erasure
		cliJSON(t, env, &list, "erasures", "--db", dsn)
		if len(list) != 1 || list[0].ID != e.ID || list[0].Reason != "Заявление" {
			t.Fatalf("erasures: %+v", list)
		}
		for _, needle := range []string{"79162223344", "9162223344", "222-33-44", "Cli.Subject@Example.net", "cli.subject@example.net", "Стёртый"} {
			if where := storetest.Holding(t, engine, dsn, needle); len(where) > 0 {
				t.Errorf("%q is still in %v", needle, where)
			}
		}
		if where := storetest.Holding(t, engine, dsn, "79035550011"); len(where) == 0 {
			t.Errorf("the other person's phone is gone too: the check sees nothing")
		}
		var ret map[string]int
		cliJSON(t, env, &ret, "erasure", "retention", "--days", "30", "--db", dsn)
		if ret["rawRetentionDays"] != 30 {
			t.Errorf("retention: %v", ret)
		}
		if _, err := cli(t, env, "erasure", "retention", "--days", "99999", "--db", dsn); err == nil {
			t.Errorf("a retention of 99999 days was taken")
		}
	})
}
