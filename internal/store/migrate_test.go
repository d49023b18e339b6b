package store_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"sync"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

func TestMigrate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()

		t.Run("applies every migration once, then nothing", func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			s := openDSN(t, dsn)
			applied, err := s.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(applied) == 0 || applied[0] != "0001_init.sql" || !slices.IsSorted(applied) {
				t.Fatalf("first Migrate applied %q, want the embedded migrations from 0001_init.sql in order", applied)
			}
			again, err := s.Migrate(ctx)
			if err != nil || len(again) != 0 {
				t.Fatalf("second Migrate = %q, %v; want nothing applied", again, err)
			}
			// A restarted process finds the schema up to date too.
			later, err := openDSN(t, dsn).Migrate(ctx)
			if err != nil || len(later) != 0 {
				t.Fatalf("Migrate from a new Store = %q, %v; want nothing applied", later, err)
			}
			var n int
			r, _ := store.DBs(s)
			if err := r.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(applied) {
				t.Fatalf("schema_migrations has %d rows (%v), want %d", n, err, len(applied))
			}
		})

		t.Run("two processes migrating at once both succeed", func(t *testing.T) {
			want, err := openDSN(t, storetest.DSN(t, engine)).Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for round := range 3 {
				dsn := storetest.DSN(t, engine)
				stores := []*store.Store{openDSN(t, dsn), openDSN(t, dsn)}
				applied := make([][]string, len(stores))
				errs := make([]error, len(stores))
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i, s := range stores {
					wg.Go(func() {
						<-start
						applied[i], errs[i] = s.Migrate(ctx)
					})
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("round %d: Migrate on store %d: %v", round, i, err)
					}
				}
				all := append(slices.Clone(applied[0]), applied[1]...)
				slices.Sort(all)
				if !slices.Equal(all, want) {
					t.Fatalf("round %d: the two processes applied %q and %q; want %q once between them",
						round, applied[0], applied[1], want)
				}
				// The schema works from both sides.
				acc, err := stores[0].CreateAccount(ctx, "Acme")
				if err != nil {
					t.Fatal(err)
				}
				accs, err := stores[1].ListAccounts(ctx)
				if err != nil || len(accs) != 1 || accs[0].ID != acc.ID {
					t.Fatalf("round %d: other store lists %v, %v; want the account just created", round, accs, err)
				}
			}
		})
	})
}

// TestPlaceholders checks that $N binds the N-th argument on both engines,
// whatever order the placeholders appear in; SQLite reads $N as a name, so
// this is the driver's doing, not the engine's.
func TestPlaceholders(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)

		t.Run("out of order and repeated placeholders bind by number", func(t *testing.T) {
			r, _ := store.DBs(f.s)
			var a, b, c string
			err := r.QueryRowContext(ctx, "SELECT CAST($2 AS TEXT), CAST($1 AS TEXT), CAST($2 AS TEXT)", "first", "second").Scan(&a, &b, &c)
			if err != nil {
				t.Fatal(err)
			}
			if a != "second" || b != "first" || c != "second" {
				t.Fatalf("SELECT $2, $1, $2 = %q, %q, %q; want second, first, second", a, b, c)
			}
		})

		t.Run("account and id land in their own slots", func(t *testing.T) {
			// GetSource(account, id) runs "id = $1 AND account_id = $2" with
			// the arguments the other way round. Give the account and the
			// source different ids so that a swap could not go unnoticed.
			o := f.other(t)
			src := o.source(t, lead.Source{Name: "Second", Type: lead.SourceManual})
			if src.ID == o.acc.ID {
				t.Fatalf("source and account share id %d", src.ID)
			}
			got, err := f.s.GetSource(ctx, o.acc.ID, src.ID)
			if err != nil || got.ID != src.ID || got.AccountID != o.acc.ID {
				t.Fatalf("GetSource(account %d, source %d) = %+v, %v", o.acc.ID, src.ID, got, err)
			}
			_, err = f.s.GetSource(ctx, src.ID, o.acc.ID)
			wantCode(t, err, lead.ENotFound)
		})

		t.Run("a placeholder used twice keeps a 64-bit type", func(t *testing.T) {
			// ListDeliveries uses $3 twice ("$3 = 0 OR d.id < $3"); ids are
			// 64-bit, and so must a cursor past 2^31 be.
			f.create(t, f.intake("79990000001", ""))
			ds, err := f.s.ListDeliveries(ctx, f.acc.ID, f.src.ID, 1<<40, 10)
			if err != nil || len(ds) != 1 {
				t.Fatalf("ListDeliveries(before=2^40) = %d rows, %v; want the one delivery", len(ds), err)
			}
		})
	})
}

// TestDurability checks the settings a 201 relies on: SQLite in WAL with
// synchronous=FULL on every connection, PostgreSQL with synchronous_commit.
func TestDurability(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, engine)
		s := openDSN(t, dsn)
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAccount(ctx, "Acme"); err != nil {
			t.Fatal(err)
		}
		read, write := store.DBs(s)

		if engine == "postgres" {
			var sc string
			if err := write.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&sc); err != nil || sc == "off" || sc == "local" {
				t.Fatalf("synchronous_commit = %q, %v; want a durable setting", sc, err)
			}
			return
		}

		t.Run("the file is in WAL mode", func(t *testing.T) {
			if _, err := os.Stat(dsn + "-wal"); err != nil {
				t.Fatalf("no write-ahead log after a write: %v", err)
			}
			// journal_mode is a property of the file: a connection without
			// any pragma of its own sees it.
			raw, err := sql.Open("sqlite", "file:"+dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			var mode string
			if err := raw.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
				t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
			}
		})

		// synchronous, foreign_keys and busy_timeout are per connection, so
		// check every connection the pools hand out.
		pools := []struct {
			name      string
			db        *sql.DB
			conns     int
			queryOnly int
		}{
			{"write", write, 1, 0},
			{"read", read, 4, 1},
		}
		for _, p := range pools {
			t.Run(p.name+" connections are FULL, enforce foreign keys and wait when busy", func(t *testing.T) {
				var conns []*sql.Conn
				defer func() {
					for _, c := range conns {
						c.Close()
					}
				}()
				for range p.conns {
					c, err := p.db.Conn(ctx)
					if err != nil {
						t.Fatal(err)
					}
					conns = append(conns, c)
				}
				for i, c := range conns {
					var syncLevel, fk, busy, qo int
					err := c.QueryRowContext(ctx, "SELECT synchronous, foreign_keys, timeout, query_only FROM pragma_synchronous, pragma_foreign_keys, pragma_busy_timeout, pragma_query_only").
						Scan(&syncLevel, &fk, &busy, &qo)
					if err != nil {
						t.Fatal(err)
					}
					if syncLevel != 2 || fk != 1 || busy < 1000 || qo != p.queryOnly {
						t.Fatalf("connection %d: synchronous=%d foreign_keys=%d busy_timeout=%d query_only=%d; want 2, 1, ≥1000, %d",
							i, syncLevel, fk, busy, qo, p.queryOnly)
					}
				}
			})
		}
	})
}

// TestForeignKeys checks that the engine itself refuses rows pointing
// nowhere, below the store's own checks.
func TestForeignKeys(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)

		t.Run("delivery of a source that does not exist", func(t *testing.T) {
			ghost := lead.Source{ID: f.src.ID + 1000, AccountID: f.acc.ID}
			if err := f.s.LogDelivery(ctx, ghost, lead.Delivery{Method: "POST", Status: 400}, nil, nil); err == nil {
				t.Fatal("LogDelivery for a missing source succeeded")
			}
			if ds, _ := f.s.ListDeliveries(ctx, f.acc.ID, ghost.ID, 0, 10); len(ds) != 0 {
				t.Fatalf("the delivery was written: %+v", ds)
			}
		})

		t.Run("user of an account that does not exist", func(t *testing.T) {
			u := lead.User{AccountID: f.acc.ID + 1000, Name: "Ghost", Email: "ghost@example.com", Role: lead.RoleManager}
			if _, err := f.s.CreateUser(ctx, u); err == nil {
				t.Fatal("CreateUser for a missing account succeeded")
			}
			if _, err := f.s.UserByEmail(ctx, u.Email); lead.ErrorCode(err) != lead.ENotFound {
				t.Fatalf("UserByEmail = %v; want the user not written", err)
			}
		})
	})
}

// TestMigrateGivesAFunnel shows that upgrading gives the default funnel to
// the accounts that had no stage, and leaves the others' funnels alone.
func TestMigrateGivesAFunnel(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		s := openDSN(t, storetest.DSN(t, engine))
		if _, err := store.MigrateUpTo(ctx, s, 7); err != nil {
			t.Fatal(err)
		}
		_, w := store.DBs(s)
		for _, q := range []string{
			"INSERT INTO accounts (id, name, created_at) VALUES (1, 'Bare', 0), (2, 'Own funnel', 0)",
			"INSERT INTO funnel_stages (account_id, name, position, color, created_at) VALUES (2, 'Lead', 1, '', 0), (2, 'Deal', 2, '', 0)",
		} {
			if _, err := w.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		names := func(account int64) []string {
			stages, err := s.ListStages(ctx, account)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, st := range stages {
				out = append(out, st.Name+" "+st.Color+" "+st.Outcome)
			}
			return out
		}
		var want []string
		for _, st := range store.DefaultStages {
			want = append(want, st.Name+" "+st.Color+" "+st.Outcome)
		}
		if got := names(1); !slices.Equal(got, want) {
			t.Fatalf("the bare account's funnel after the upgrade = %q, want %q", got, want)
		}
		if got := names(2); !slices.Equal(got, []string{"Lead  open", "Deal  open"}) {
			t.Fatalf("an account's own funnel after the upgrade = %q, want it kept", got)
		}
	})
}
