package store_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

// wantUnavailable fails the test unless err is EUnavailable with a
// Retry-After, which the webhook answers as 503.
func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	var e *lead.Error
	if !errors.As(err, &e) || e.Code != lead.EUnavailable || e.RetryAfter <= 0 {
		t.Fatalf("%s: error %v (code %s); want EUnavailable with a Retry-After", what, err, codeName(lead.ErrorCode(err)))
	}
}

// storeOps calls every store method once against f's rows.
func storeOps(f fixture) map[string]func(ctx context.Context) error {
	idem := &store.Idem{Key: "k", BodyHash: "h"}
	return map[string]func(ctx context.Context) error{
		"Ping":          f.s.Ping,
		"Migrate":       func(ctx context.Context) error { _, err := f.s.Migrate(ctx); return err },
		"CreateAccount": func(ctx context.Context) error { _, err := f.s.CreateAccount(ctx, "X"); return err },
		"ListAccounts":  func(ctx context.Context) error { _, err := f.s.ListAccounts(ctx); return err },
		"Bootstrap": func(ctx context.Context) error {
			_, _, _, err := f.s.Bootstrap(ctx, "X", lead.User{Email: "x@example.com"})
			return err
		},
		"CreateUser": func(ctx context.Context) error {
			_, err := f.s.CreateUser(ctx, lead.User{AccountID: f.acc.ID, Email: "y@example.com", Role: lead.RoleAdmin})
			return err
		},
		"ListUsers":   func(ctx context.Context) error { _, err := f.s.ListUsers(ctx, f.acc.ID); return err },
		"UserByEmail": func(ctx context.Context) error { _, err := f.s.UserByEmail(ctx, "y@example.com"); return err },
		"CreateRef":   func(ctx context.Context) error { _, err := f.s.CreateRef(ctx, store.Cities, f.acc.ID, "X"); return err },
		"ListRefs":    func(ctx context.Context) error { _, err := f.s.ListRefs(ctx, store.Cities, f.acc.ID); return err },
		"CreateStage": func(ctx context.Context) error { _, err := f.s.CreateStage(ctx, f.acc.ID, "X", ""); return err },
		"ListStages":  func(ctx context.Context) error { _, err := f.s.ListStages(ctx, f.acc.ID); return err },
		"CreateSource": func(ctx context.Context) error {
			_, err := f.s.CreateSource(ctx, lead.Source{AccountID: f.acc.ID, Name: "X"})
			return err
		},
		"SourceByToken": func(ctx context.Context) error { _, err := f.s.SourceByToken(ctx, f.src.Token); return err },
		"GetSource":     func(ctx context.Context) error { _, err := f.s.GetSource(ctx, f.acc.ID, f.src.ID); return err },
		"ListSources":   func(ctx context.Context) error { _, err := f.s.ListSources(ctx, f.acc.ID); return err },
		"RotateSourceToken": func(ctx context.Context) error {
			_, err := f.s.RotateSourceToken(ctx, f.acc.ID, f.src.ID)
			return err
		},
		"SetSourceEnabled": func(ctx context.Context) error {
			_, err := f.s.SetSourceEnabled(ctx, f.acc.ID, f.src.ID, false)
			return err
		},
		"ListDeliveries": func(ctx context.Context) error {
			_, err := f.s.ListDeliveries(ctx, f.acc.ID, f.src.ID, 0, 10)
			return err
		},
		"CreateLead": func(ctx context.Context) error {
			_, err := f.s.CreateLead(ctx, f.intake("79990000001", ""))
			return err
		},
		"CreateLead with a key": func(ctx context.Context) error {
			_, err := f.s.CreateLead(ctx, f.idemIntake("79990000001", idem.Key, idem.BodyHash))
			return err
		},
		"LogDelivery": func(ctx context.Context) error {
			return f.s.LogDelivery(ctx, f.src, lead.Delivery{Method: "POST", Status: 422}, idem, []byte("{}"))
		},
		"FindIdempotent": func(ctx context.Context) error { _, err := f.s.FindIdempotent(ctx, f.src.ID, *idem); return err },
		"ExpireIdempotencyKeys": func(ctx context.Context) error {
			_, err := f.s.ExpireIdempotencyKeys(ctx)
			return err
		},
		"GetLead":    func(ctx context.Context) error { _, err := f.s.GetLead(ctx, f.acc.ID, 1); return err },
		"LeadRaw":    func(ctx context.Context) error { _, err := f.s.LeadRaw(ctx, f.acc.ID, 1); return err },
		"CountLeads": func(ctx context.Context) error { _, err := f.s.CountLeads(ctx, f.acc.ID); return err },
		"ListLeads": func(ctx context.Context) error {
			_, err := f.s.ListLeads(ctx, f.acc.ID, store.LeadFilter{Limit: 10})
			return err
		},
	}
}

func TestUnavailable(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()

		t.Run("closed store fails every call with a 503 code", func(t *testing.T) {
			f := newFixture(t, engine)
			f.create(t, f.intake("79990000001", ""))
			f.s.Close()
			for name, op := range storeOps(f) {
				err := op(ctx)
				// EUnavailable and EInternal both answer 503; a 404 or a 422
				// would tell the sender its request, not the storage, failed.
				if c := lead.ErrorCode(err); err == nil || (c != lead.EUnavailable && c != lead.EInternal) {
					t.Errorf("%s on a closed store: %v (code %s); want EUnavailable or EInternal", name, err, codeName(c))
				}
			}
			wantUnavailable(t, "Ping", f.s.Ping(ctx))
		})

		t.Run("database that cannot be reached at open", func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "missing", "dir", "leadbox.db")
			if engine == "postgres" {
				u, _ := url.Parse(storetest.DSN(t, engine))
				u.Host = "127.0.0.1:1"
				dsn = u.String()
			}
			s, err := store.Open(ctx, dsn)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if engine == "postgres" {
				wantUnavailable(t, "Open", err)
			}
		})

		t.Run("writer blocked past the deadline is EUnavailable and writes nothing", func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			s := openDSN(t, dsn)
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			f := fixtureOn(t, s, "Acme")
			// Another process holds the write lock (SQLite) or a lock on
			// the leads table (PostgreSQL) past the request's deadline.
			driver, lockDSN, lock := "pgx", dsn, "LOCK TABLE leads IN EXCLUSIVE MODE"
			if engine == "sqlite" {
				driver, lockDSN, lock = "sqlite", "file:"+dsn, "BEGIN IMMEDIATE"
			}
			other, err := sql.Open(driver, lockDSN)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			conn, err := other.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if engine == "postgres" {
				if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := conn.ExecContext(ctx, lock); err != nil {
				t.Fatal(err)
			}
			tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			_, err = f.s.CreateLead(tctx, f.intake("79990000001", ""))
			cancel()
			wantUnavailable(t, "CreateLead", err)
			// Readers are not blocked.
			if _, err := f.s.SourceByToken(ctx, f.src.Token); err != nil {
				t.Fatalf("SourceByToken while locked: %v", err)
			}
			if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Fatal(err)
			}
			if n := f.count(t); n != 0 {
				t.Fatalf("%d leads written by the failed request", n)
			}
			f.create(t, f.intake("79990000001", ""))
		})

		if engine != "postgres" {
			return
		}
		t.Run("connection to PostgreSQL lost and back", func(t *testing.T) {
			u, err := url.Parse(storetest.DSN(t, engine))
			if err != nil {
				t.Fatal(err)
			}
			p := startProxy(t, "127.0.0.1:0", u.Host)
			u.Host = p.addr
			s := openDSN(t, u.String())
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			f := fixtureOn(t, s, "Acme")
			f.create(t, f.intake("79990000001", ""))

			p.stop()
			for name, op := range storeOps(f) {
				wantUnavailable(t, name+" without a server", op(ctx))
			}

			p = startProxy(t, p.addr, p.target)
			defer p.stop()
			if err := f.s.Ping(ctx); err != nil {
				t.Fatalf("Ping once the server is back: %v", err)
			}
			out := f.create(t, f.intake("79990000001", ""))
			if out.Lead.OtherCount != 1 {
				t.Fatalf("otherCount %d after the outage, want 1", out.Lead.OtherCount)
			}
		})
	})
}

// proxy forwards TCP connections to target until stopped, so a test can cut
// a store off from its PostgreSQL server and reconnect it.
type proxy struct {
	addr, target string
	ln           net.Listener
	mu           sync.Mutex
	conns        []net.Conn
	wg           sync.WaitGroup
}

func startProxy(t *testing.T, addr, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String(), target: target, ln: ln}
	p.wg.Go(p.serve)
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		p.wg.Go(func() { io.Copy(u, c); u.Close() })
		p.wg.Go(func() { io.Copy(c, u); c.Close() })
	}
}

// stop closes the listener and every connection through it.
func (p *proxy) stop() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}
