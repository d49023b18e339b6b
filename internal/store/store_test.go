package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// fixture is an account with a webhook source, on one engine.
type fixture struct {
	s   *store.Store
	acc lead.Account
	src lead.Source
}

func newFixture(t *testing.T, engine string) fixture {
	t.Helper()
	return fixtureOn(t, storetest.Open(t, engine), "Acme")
}

// fixtureOn creates an account with a webhook source on s.
func fixtureOn(t *testing.T, s *store.Store, name string) fixture {
	t.Helper()
	ctx := context.Background()
	acc, err := s.CreateAccount(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	src, err := s.CreateSource(ctx, lead.Source{AccountID: acc.ID, Name: "Site", Type: lead.SourceWebhook})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{s: s, acc: acc, src: src}
}

// other returns a second account with its own webhook source in f's database.
func (f fixture) other(t *testing.T) fixture {
	t.Helper()
	return fixtureOn(t, f.s, "Other "+f.acc.Name)
}

func render(l *lead.Lead) ([]byte, error) { return json.Marshal(map[string]any{"data": l}) }

// intake is a request to f's webhook with the given contacts; the email key
// is lower-cased as the intake package does.
func (f fixture) intake(phone, email string) store.Intake {
	in := store.Intake{Source: f.src, Render: render, Delivery: lead.Delivery{Method: "POST", Body: []byte(`{}`)}}
	if phone != "" {
		in.Input.Phone = ptr(phone)
	}
	if email != "" {
		in.Input.Email = ptr(email)
	}
	return in
}

// create stores a lead or fails the test.
func (f fixture) create(t *testing.T, in store.Intake) store.Outcome {
	t.Helper()
	out, err := f.s.CreateLead(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateLead: %v", err)
	}
	return out
}

// count returns how many leads f's account has.
func (f fixture) count(t *testing.T) int64 {
	t.Helper()
	n, err := f.s.CountLeads(context.Background(), f.acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// deliveries returns the whole delivery log of f's webhook source, newest first.
func (f fixture) deliveries(t *testing.T) []lead.Delivery {
	t.Helper()
	ds, err := f.s.ListDeliveries(context.Background(), f.acc.ID, f.src.ID, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func (f fixture) user(t *testing.T, email string) lead.User {
	t.Helper()
	u, err := f.s.CreateUser(context.Background(), lead.User{AccountID: f.acc.ID, Name: email, Email: email, Role: lead.RoleManager})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f fixture) ref(t *testing.T, kind store.RefKind, name string) lead.Ref {
	t.Helper()
	r, err := f.s.CreateRef(context.Background(), kind, f.acc.ID, name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f fixture) stage(t *testing.T, name string) lead.Stage {
	t.Helper()
	st, err := f.s.CreateStage(context.Background(), f.acc.ID, name, "")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// emptyFunnel deletes the stages a new account starts with.
func (f fixture) emptyFunnel(t *testing.T) fixture {
	t.Helper()
	stages, err := f.s.ListStages(context.Background(), f.acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stages {
		if err := f.s.DeleteStage(context.Background(), f.acc.ID, st.ID); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// firstStage is the first stage of f's funnel.
func (f fixture) firstStage(t *testing.T) lead.Stage {
	t.Helper()
	stages, err := f.s.ListStages(context.Background(), f.acc.ID)
	if err != nil || len(stages) == 0 {
		t.Fatalf("ListStages = %v, %v; want a funnel", stages, err)
	}
	return stages[0]
}

func (f fixture) source(t *testing.T, src lead.Source) lead.Source {
	t.Helper()
	src.AccountID = f.acc.ID
	if src.Name == "" {
		src.Name = "Source"
	}
	out, err := f.s.CreateSource(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// refs is one of each reference row an account can have.
type refs struct {
	owner  lead.User
	stage  lead.Stage
	office lead.Ref
	city   lead.Ref
}

func (f fixture) refs(t *testing.T, tag string) refs {
	t.Helper()
	return refs{
		owner:  f.user(t, fmt.Sprintf("owner-%s-%d@example.com", tag, f.acc.ID)),
		stage:  f.stage(t, "Stage "+tag),
		office: f.ref(t, store.Offices, "Office "+tag),
		city:   f.ref(t, store.Cities, "City "+tag),
	}
}

// setClock stops s's clock at t.
func setClock(s *store.Store, t time.Time) { s.SetClock(func() time.Time { return t }) }

// openDSN opens a store on dsn without migrating it, closed when the test ends.
func openDSN(t *testing.T, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPair opens two stores on one fresh, migrated database, as two leadbox
// processes sharing it would.
func openPair(t *testing.T, engine string) (*store.Store, *store.Store) {
	t.Helper()
	dsn := storetest.DSN(t, engine)
	a := openDSN(t, dsn)
	if _, err := a.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a, openDSN(t, dsn)
}

// exec runs a statement on s's write pool, for rows no store method changes.
func exec(t *testing.T, s *store.Store, query string, args ...any) {
	t.Helper()
	_, w := store.DBs(s)
	if _, err := w.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

var codeNames = map[lead.Code]string{
	lead.EInternal: "EInternal", lead.EInvalid: "EInvalid", lead.EMalformed: "EMalformed",
	lead.ENotFound: "ENotFound", lead.EGone: "EGone", lead.EMethod: "EMethod", lead.ETooLarge: "ETooLarge",
	lead.EUnsupported: "EUnsupported", lead.ERateLimited: "ERateLimited", lead.EConflict: "EConflict",
	lead.EUnavailable: "EUnavailable", lead.EUnauthorized: "EUnauthorized", lead.EForbidden: "EForbidden",
}

func codeName(c lead.Code) string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// wantCode fails the test unless err is a *lead.Error of code whose fields
// are exactly fields, in order (any fields when none are given).
func wantCode(t *testing.T, err error, code lead.Code, fields ...string) *lead.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil, want %s %v", codeName(code), fields)
	}
	var e *lead.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %q (%T) is not a *lead.Error, want %s", err, err, codeName(code))
	}
	if e.Code != code {
		t.Fatalf("error %q has code %s, want %s", err, codeName(e.Code), codeName(code))
	}
	if len(fields) > 0 {
		var got []string
		for _, f := range e.Fields {
			got = append(got, f.Field)
		}
		if !slices.Equal(got, fields) {
			t.Fatalf("error %q names fields %q, want %q", err, got, fields)
		}
	}
	return e
}

// forEachEngine runs fn on both engines (storetest.ForEachEngine), in
// parallel with each other and with other tests' engines: every test has its
// own database.
func forEachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	t.Helper()
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		fn(t, engine)
	})
}

func TestCreateLeadDuplicates(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		ctx := context.Background()
		a, err := f.s.CreateLead(ctx, f.intake("79998888888", ""))
		if err != nil {
			t.Fatal(err)
		}
		if a.Lead.FirstID != nil || a.Lead.OtherCount != 0 || a.Status != 201 {
			t.Fatalf("first lead: firstId=%v otherCount=%d", a.Lead.FirstID, a.Lead.OtherCount)
		}
		b, err := f.s.CreateLead(ctx, f.intake("", "a@b.ru"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.s.CreateLead(ctx, f.intake("79998888888", "a@b.ru"))
		if err != nil {
			t.Fatal(err)
		}
		if b.Lead.FirstID != nil || c.Lead.FirstID == nil || *c.Lead.FirstID != a.Lead.ID || c.Lead.OtherCount != 2 {
			t.Fatalf("third lead: firstId=%v otherCount=%d", c.Lead.FirstID, c.Lead.OtherCount)
		}
		if *c.Lead.SourceID != f.src.ID {
			t.Fatalf("sourceId = %d, want the webhook's own %d", *c.Lead.SourceID, f.src.ID)
		}
		got, err := f.s.GetLead(ctx, f.acc.ID, c.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.OtherCount != 2 || *got.FirstID != a.Lead.ID || *got.Phone != "79998888888" {
			t.Fatalf("stored lead differs: %+v", got)
		}
	})
}
