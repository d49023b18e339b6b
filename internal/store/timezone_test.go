package store_test

import (
	"context"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// TestTimezones shows an account's zone (Moscow by default), a user's own
// over it, "" going back to the account's, and unknown zones refused.
func TestTimezones(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		u := f.user(t, "tz@example.com")
		if err := f.s.CreateSession(ctx, "tz-session", u.ID, "csrf"); err != nil {
			t.Fatal(err)
		}
		zone := func() (string, string) {
			t.Helper()
			ss, err := f.s.SessionByHash(ctx, "tz-session", 1<<40, 1<<40)
			if err != nil {
				t.Fatal(err)
			}
			return ss.Zone, ss.UserZone
		}
		if tz, err := f.s.AccountTimezone(ctx, f.acc.ID); err != nil || tz != store.DefaultTimezone {
			t.Fatalf("a new account's zone = %q, %v; want %s", tz, err, store.DefaultTimezone)
		}
		if z, own := zone(); z != "Europe/Moscow" || own != "" {
			t.Fatalf("session zone = %q (own %q), want the account's Europe/Moscow", z, own)
		}
		if err := f.s.SetAccountTimezone(ctx, f.acc.ID, " Asia/Novosibirsk "); err != nil {
			t.Fatal(err)
		}
		if z, _ := zone(); z != "Asia/Novosibirsk" {
			t.Fatalf("session zone = %q after the account's change", z)
		}
		if err := f.s.SetUserTimezone(ctx, f.acc.ID, u.ID, "Europe/Kaliningrad"); err != nil {
			t.Fatal(err)
		}
		if z, own := zone(); z != "Europe/Kaliningrad" || own != "Europe/Kaliningrad" {
			t.Fatalf("session zone = %q (own %q), want the user's", z, own)
		}
		if err := f.s.SetUserTimezone(ctx, f.acc.ID, u.ID, ""); err != nil {
			t.Fatal(err)
		}
		if z, _ := zone(); z != "Asia/Novosibirsk" {
			t.Fatalf("session zone = %q after the user's was cleared", z)
		}
		for _, bad := range []string{"", "Mars/Olympus", "Local", "../../etc/passwd"} {
			wantCode(t, f.s.SetAccountTimezone(ctx, f.acc.ID, bad), lead.EInvalid, "timezone")
		}
		wantCode(t, f.s.SetUserTimezone(ctx, f.acc.ID, u.ID, "Nowhere/Zone"), lead.EInvalid, "timezone")
		o := f.other(t)
		wantCode(t, f.s.SetUserTimezone(ctx, o.acc.ID, u.ID, "UTC"), lead.ENotFound)
	})
}
