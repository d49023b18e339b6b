package store_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
)

var apiTokenRE = regexp.MustCompile(`^lbx_[A-Za-z0-9_-]{43,}$`)

func TestAPITokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		anna := f.user(t, "anna@example.com")
		clock := time.Date(2024, 7, 1, 10, 0, 0, 0, time.UTC)
		setClock(f.s, clock)

		tok, secret, err := f.s.CreateAPIToken(ctx, f.acc.ID, "  CRM sync ", &anna.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("create returns the secret once, with a hint", func(t *testing.T) {
			if !apiTokenRE.MatchString(secret) {
				t.Fatalf("secret %q does not look like lbx_ and 43+ base64url characters", secret)
			}
			if tok.ID == 0 || tok.AccountID != f.acc.ID || tok.Name != "CRM sync" || show(tok.CreatedBy) != show(&anna.ID) ||
				tok.Created != clock.Unix() || tok.LastUsed != nil || tok.Revoked != nil {
				t.Fatalf("token = %+v", tok)
			}
			if len(tok.Hint) <= len("lbx_") || len(tok.Hint) >= len(secret)/2 || !strings.HasPrefix(secret, tok.Hint) {
				t.Fatalf("hint %q is not a short prefix of the secret", tok.Hint)
			}
		})
		t.Run("only the hash is stored", func(t *testing.T) {
			if n := countRows(t, f.s, "SELECT count(*) FROM api_tokens WHERE token_hash = $1 AND id = $2", lead.HashToken(secret), tok.ID); n != 1 {
				t.Fatal("the token's row does not hold the secret's hash")
			}
			for _, col := range []string{"name", "token_hash", "hint"} {
				if n := countRows(t, f.s, "SELECT count(*) FROM api_tokens WHERE "+col+" LIKE $1", "%"+secret[len(tok.Hint):]+"%"); n != 0 {
					t.Fatalf("the secret appears in column %s", col)
				}
			}
		})
		t.Run("refuses a blank name", func(t *testing.T) {
			_, _, err := f.s.CreateAPIToken(ctx, f.acc.ID, " ", nil)
			wantCode(t, err, lead.EInvalid, "name")
		})
		t.Run("secrets differ", func(t *testing.T) {
			_, other, err := f.s.CreateAPIToken(ctx, f.acc.ID, "Second", nil)
			if err != nil || other == secret {
				t.Fatalf("second secret %q, %v", other, err)
			}
		})

		t.Run("found by its secret, last use noted", func(t *testing.T) {
			got, err := f.s.APITokenBySecret(ctx, secret)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tok.ID || got.AccountID != f.acc.ID || show(got.LastUsed) != show(ptr(clock.Unix())) {
				t.Fatalf("APITokenBySecret = %+v", got)
			}
		})
		lastUsed := func(t *testing.T) *int64 {
			t.Helper()
			ts, err := f.s.ListAPITokens(ctx, f.acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range ts {
				if x.ID == tok.ID {
					return x.LastUsed
				}
			}
			t.Fatalf("token %d not listed", tok.ID)
			return nil
		}
		steps := []struct {
			name  string
			after time.Duration // since the first use
			want  time.Duration // the last-used time noted, since the first use
		}{
			{"30s later, unchanged", 30 * time.Second, 0},
			{"59s later, unchanged", 59 * time.Second, 0},
			{"61s later, changed", 61 * time.Second, 61 * time.Second},
			{"another 30s, unchanged", 91 * time.Second, 61 * time.Second},
			{"a minute after the last note, changed", 121 * time.Second, 121 * time.Second},
		}
		for _, st := range steps {
			t.Run("last use "+st.name, func(t *testing.T) {
				setClock(f.s, clock.Add(st.after))
				got, err := f.s.APITokenBySecret(ctx, secret)
				if err != nil {
					t.Fatal(err)
				}
				want := ptr(clock.Add(st.want).Unix())
				if show(got.LastUsed) != show(want) || show(lastUsed(t)) != show(want) {
					t.Fatalf("last used = %s answered, %s stored; want %s", show(got.LastUsed), show(lastUsed(t)), show(want))
				}
			})
		}

		unknown := []struct{ name, secret string }{
			{"empty", ""},
			{"unknown", "lbx_" + strings.Repeat("A", 43)},
			{"the hint alone", tok.Hint},
			{"the secret with a character more", secret + "x"},
			{"the secret in capitals", strings.ToUpper(secret)},
			{"the hash itself", lead.HashToken(secret)},
		}
		for _, tc := range unknown {
			t.Run("unauthorized: "+tc.name, func(t *testing.T) {
				_, err := f.s.APITokenBySecret(ctx, tc.secret)
				wantCode(t, err, lead.EUnauthorized)
			})
		}

		theirs, theirSecret, err := o.s.CreateAPIToken(ctx, o.acc.ID, "Theirs", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("another account's token id is ENotFound", func(t *testing.T) {
			wantCode(t, f.s.RevokeAPIToken(ctx, f.acc.ID, theirs.ID), lead.ENotFound)
			if got, err := o.s.APITokenBySecret(ctx, theirSecret); err != nil || got.AccountID != o.acc.ID {
				t.Fatalf("their token after a foreign revoke: %+v, %v", got, err)
			}
		})

		revokedAt := clock.Add(time.Hour)
		setClock(f.s, revokedAt)
		if err := f.s.RevokeAPIToken(ctx, f.acc.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		t.Run("a revoked token is unauthorized at once", func(t *testing.T) {
			_, err := f.s.APITokenBySecret(ctx, secret)
			wantCode(t, err, lead.EUnauthorized)
		})
		t.Run("revoking twice is ENotFound", func(t *testing.T) {
			wantCode(t, f.s.RevokeAPIToken(ctx, f.acc.ID, tok.ID), lead.ENotFound)
			wantCode(t, f.s.RevokeAPIToken(ctx, f.acc.ID, 987654), lead.ENotFound)
		})
		t.Run("the list shows revoked tokens, one account only", func(t *testing.T) {
			ts, err := f.s.ListAPITokens(ctx, f.acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != 2 || ts[0].ID != tok.ID || ts[1].Name != "Second" {
				t.Fatalf("ListAPITokens = %+v", ts)
			}
			if show(ts[0].Revoked) != show(ptr(revokedAt.Unix())) || ts[1].Revoked != nil || ts[0].Hint != tok.Hint {
				t.Fatalf("revoked = %s, %s; hint %q", show(ts[0].Revoked), show(ts[1].Revoked), ts[0].Hint)
			}
			ts, err = o.s.ListAPITokens(ctx, o.acc.ID)
			if err != nil || len(ts) != 1 || ts[0].ID != theirs.ID {
				t.Fatalf("their ListAPITokens = %+v, %v", ts, err)
			}
		})
		t.Run("an account without tokens lists none", func(t *testing.T) {
			empty, err := f.s.CreateAccount(ctx, "Empty")
			if err != nil {
				t.Fatal(err)
			}
			ts, err := f.s.ListAPITokens(ctx, empty.ID)
			if err != nil || ts == nil || len(ts) != 0 {
				t.Fatalf("ListAPITokens = %#v, %v; want an empty slice", ts, err)
			}
		})
	})
}
