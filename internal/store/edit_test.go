package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// insertSessionRow inserts a web session row for the user.
func insertSessionRow(t *testing.T, s *store.Store, userID int64, idHash string) {
	t.Helper()
	exec(t, s, "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, seen_at) VALUES ($1, $2, $3, $4, $5)",
		idHash, userID, "csrf", 1, 1)
}

// countSessions counts the user's session rows.
func countSessions(t *testing.T, s *store.Store, userID int64) int64 {
	t.Helper()
	return countRows(t, s, "SELECT count(*) FROM sessions WHERE user_id = $1", userID)
}

func TestUpdateUser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		anna := f.user(t, "anna@example.com")
		bob := f.user(t, "bob@example.com")
		olga := o.user(t, "olga@example.com")
		insertSessionRow(t, f.s, anna.ID, "anna-1")
		insertSessionRow(t, f.s, anna.ID, "anna-2")
		insertSessionRow(t, f.s, bob.ID, "bob-1")

		// wantSessions fails unless anna and bob have these many sessions.
		wantSessions := func(t *testing.T, a, b int64) {
			t.Helper()
			if ga, gb := countSessions(t, f.s, anna.ID), countSessions(t, f.s, bob.ID); ga != a || gb != b {
				t.Fatalf("sessions: anna %d, bob %d; want %d and %d", ga, gb, a, b)
			}
		}

		t.Run("name, role and email change; sessions stay", func(t *testing.T) {
			got, err := f.s.UpdateUser(ctx, f.acc.ID, anna.ID, store.UserPatch{
				Name: ptr("  Анна Иванова "), Role: ptr(lead.RoleAdmin), Email: ptr(" Anna.I@Example.com "),
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "Анна Иванова" || got.Role != lead.RoleAdmin || got.Email != "Anna.I@Example.com" || !got.Active {
				t.Fatalf("UpdateUser = %+v", got)
			}
			if byEmail, err := f.s.UserByEmail(ctx, "anna.i@example.com"); err != nil || byEmail.ID != anna.ID {
				t.Fatalf("UserByEmail of the new email = %+v, %v", byEmail, err)
			}
			if _, err := f.s.UserByEmail(ctx, "anna@example.com"); lead.ErrorCode(err) != lead.ENotFound {
				t.Fatalf("the old email still finds a user: %v", err)
			}
			wantSessions(t, 2, 1)
		})
		t.Run("nil fields stay", func(t *testing.T) {
			before, err := f.s.GetUser(ctx, f.acc.ID, anna.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.s.UpdateUser(ctx, f.acc.ID, anna.ID, store.UserPatch{})
			if err != nil || got != before {
				t.Fatalf("empty patch: %+v, %v; want %+v", got, err, before)
			}
		})
		t.Run("own email in another case", func(t *testing.T) {
			got, err := f.s.UpdateUser(ctx, f.acc.ID, anna.ID, store.UserPatch{Email: ptr("ANNA.I@EXAMPLE.COM")})
			if err != nil || got.Email != "ANNA.I@EXAMPLE.COM" {
				t.Fatalf("UpdateUser = %+v, %v", got, err)
			}
		})

		bad := []struct {
			name  string
			patch store.UserPatch
			field string
		}{
			{"unknown role", store.UserPatch{Role: ptr("owner")}, "role"},
			{"role in capitals", store.UserPatch{Role: ptr("Manager")}, "role"},
			{"empty role", store.UserPatch{Role: ptr("")}, "role"},
			{"another user's email", store.UserPatch{Email: ptr("bob@example.com")}, "email"},
			{"another user's email in another case", store.UserPatch{Email: ptr(" BOB@Example.COM ")}, "email"},
			{"another account's user's email", store.UserPatch{Email: ptr("olga@EXAMPLE.com")}, "email"},
			{"email without @", store.UserPatch{Email: ptr("anna.example.com")}, "email"},
			{"empty email", store.UserPatch{Email: ptr(" ")}, "email"},
		}
		for _, tc := range bad {
			t.Run("rejects "+tc.name, func(t *testing.T) {
				before, _ := f.s.GetUser(ctx, f.acc.ID, anna.ID)
				p := tc.patch
				p.Name, p.Active = ptr("Changed"), ptr(false)
				_, err := f.s.UpdateUser(ctx, f.acc.ID, anna.ID, p)
				wantCode(t, err, lead.EInvalid, tc.field)
				if after, _ := f.s.GetUser(ctx, f.acc.ID, anna.ID); after != before {
					t.Fatalf("a refused patch was written: %+v", after)
				}
				wantSessions(t, 2, 1)
			})
		}

		t.Run("another account's user is ENotFound", func(t *testing.T) {
			_, err := f.s.GetUser(ctx, f.acc.ID, olga.ID)
			wantCode(t, err, lead.ENotFound)
			_, err = f.s.UpdateUser(ctx, f.acc.ID, olga.ID, store.UserPatch{Name: ptr("Mine"), Active: ptr(false)})
			wantCode(t, err, lead.ENotFound)
			if got, err := o.s.GetUser(ctx, o.acc.ID, olga.ID); err != nil || got.Name != olga.Name || !got.Active {
				t.Fatalf("their user = %+v, %v", got, err)
			}
		})

		t.Run("a new password hash ends the user's sessions only", func(t *testing.T) {
			got, err := f.s.UpdateUser(ctx, f.acc.ID, anna.ID, store.UserPatch{PasswordHash: ptr("$argon2id$new")})
			if err != nil || got.PasswordHash != "$argon2id$new" {
				t.Fatalf("UpdateUser = %+v, %v", got, err)
			}
			if u, _ := f.s.UserByEmail(ctx, got.Email); u.PasswordHash != "$argon2id$new" {
				t.Fatalf("stored hash %q", u.PasswordHash)
			}
			wantSessions(t, 0, 1)
		})
		t.Run("deactivating ends the user's sessions", func(t *testing.T) {
			insertSessionRow(t, f.s, anna.ID, "anna-3")
			got, err := f.s.UpdateUser(ctx, f.acc.ID, bob.ID, store.UserPatch{Active: ptr(false)})
			if err != nil || got.Active {
				t.Fatalf("UpdateUser = %+v, %v", got, err)
			}
			wantSessions(t, 1, 0)
			got, err = f.s.UpdateUser(ctx, f.acc.ID, bob.ID, store.UserPatch{Active: ptr(true)})
			if err != nil || !got.Active {
				t.Fatalf("reactivating: %+v, %v", got, err)
			}
		})
	})
}

func TestRefEdits(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		for _, kind := range []store.RefKind{store.Offices, store.Cities} {
			t.Run(string(kind), func(t *testing.T) {
				r := f.ref(t, kind, "Old")
				theirs := o.ref(t, kind, "Theirs")
				t.Run("rename, trimmed", func(t *testing.T) {
					got, err := f.s.RenameRef(ctx, kind, f.acc.ID, r.ID, "  Новое имя ")
					if err != nil || got != (lead.Ref{ID: r.ID, AccountID: f.acc.ID, Name: "Новое имя"}) {
						t.Fatalf("RenameRef = %+v, %v", got, err)
					}
					if got, err := f.s.GetRef(ctx, kind, f.acc.ID, r.ID); err != nil || got.Name != "Новое имя" {
						t.Fatalf("GetRef = %+v, %v", got, err)
					}
				})
				for _, name := range []string{"", "  ", strings.Repeat("я", 256)} {
					t.Run(fmt.Sprintf("rename refuses a name of %d characters", len([]rune(name))), func(t *testing.T) {
						_, err := f.s.RenameRef(ctx, kind, f.acc.ID, r.ID, name)
						wantCode(t, err, lead.EInvalid, "name")
					})
				}
				t.Run("another account's row is ENotFound", func(t *testing.T) {
					field := map[store.RefKind]string{store.Offices: "office", store.Cities: "city"}[kind]
					_, err := f.s.GetRef(ctx, kind, f.acc.ID, theirs.ID)
					wantCode(t, err, lead.ENotFound, field)
					_, err = f.s.RenameRef(ctx, kind, f.acc.ID, theirs.ID, "Mine")
					wantCode(t, err, lead.ENotFound, field)
					wantCode(t, f.s.DeleteRef(ctx, kind, f.acc.ID, theirs.ID), lead.ENotFound, field)
					if got, err := o.s.GetRef(ctx, kind, o.acc.ID, theirs.ID); err != nil || got.Name != "Theirs" {
						t.Fatalf("their row = %+v, %v", got, err)
					}
				})
				t.Run("used by a lead: EConflict", func(t *testing.T) {
					used := f.ref(t, kind, "Used")
					in := contact("79996000001", "")
					if kind == store.Offices {
						in.LocationUnitID = &used.ID
					} else {
						in.LocationCityID = &used.ID
					}
					f.add(t, in)
					wantCode(t, f.s.DeleteRef(ctx, kind, f.acc.ID, used.ID), lead.EConflict)
					if _, err := f.s.GetRef(ctx, kind, f.acc.ID, used.ID); err != nil {
						t.Fatalf("refused delete removed it: %v", err)
					}
				})
				t.Run("a source's default: EConflict", func(t *testing.T) {
					used := f.ref(t, kind, "Default")
					src := lead.Source{Name: "With default " + string(kind), Type: lead.SourceManual}
					if kind == store.Offices {
						src.DefaultUnitID = &used.ID
					} else {
						src.DefaultCityID = &used.ID
					}
					f.source(t, src)
					wantCode(t, f.s.DeleteRef(ctx, kind, f.acc.ID, used.ID), lead.EConflict)
				})
				t.Run("unused: deleted, then ENotFound", func(t *testing.T) {
					if err := f.s.DeleteRef(ctx, kind, f.acc.ID, r.ID); err != nil {
						t.Fatal(err)
					}
					_, err := f.s.GetRef(ctx, kind, f.acc.ID, r.ID)
					wantCode(t, err, lead.ENotFound)
					wantCode(t, f.s.DeleteRef(ctx, kind, f.acc.ID, r.ID), lead.ENotFound)
					_, err = f.s.RenameRef(ctx, kind, f.acc.ID, r.ID, "Back")
					wantCode(t, err, lead.ENotFound)
				})
			})
		}
	})
}

func TestStageEdits(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine).emptyFunnel(t)
		o := f.other(t).emptyFunnel(t)
		a, b, c, d := f.stage(t, "A"), f.stage(t, "B"), f.stage(t, "C"), f.stage(t, "D")
		theirs := o.stage(t, "Theirs")
		byID := map[int64]string{a.ID: "A", b.ID: "B", c.ID: "C", d.ID: "D"}
		// order prints the funnel's names, failing unless positions run 1..n.
		order := func(t *testing.T, stages []lead.Stage) string {
			t.Helper()
			var names []string
			for i, st := range stages {
				if st.Position != i+1 || st.AccountID != f.acc.ID {
					t.Fatalf("stage %q at index %d has position %d (account %d)", st.Name, i, st.Position, st.AccountID)
				}
				names = append(names, byID[st.ID])
			}
			return strings.Join(names, "")
		}

		t.Run("update renames and recolours", func(t *testing.T) {
			got, err := f.s.UpdateStage(ctx, f.acc.ID, a.ID, "  Новый ", " #ff0000 ", "")
			if err != nil || got.Name != "Новый" || got.Color != "#ff0000" || got.Position != a.Position {
				t.Fatalf("UpdateStage = %+v, %v", got, err)
			}
			_, err = f.s.UpdateStage(ctx, f.acc.ID, a.ID, " ", "", "")
			wantCode(t, err, lead.EInvalid, "name")
			if got, _ := f.s.GetStage(ctx, f.acc.ID, a.ID); got.Name != "Новый" || got.Color != "#ff0000" {
				t.Fatalf("a refused update was written: %+v", got)
			}
		})

		moves := []struct {
			name     string
			stage    lead.Stage
			position int
			want     string
		}{
			{"last to first", d, 1, "DABC"},
			{"first to last", a, 4, "BCDA"},
			{"to the middle", a, 3, "BCAD"},
			{"to its own place", b, 2, "ABCD"},
			{"beyond the end clamps to last", b, 99, "ACDB"},
			{"zero clamps to first", c, 0, "CABD"},
			{"negative clamps to first", d, -5, "DABC"},
		}
		for _, tc := range moves {
			t.Run("move "+tc.name, func(t *testing.T) {
				for i, st := range []lead.Stage{a, b, c, d} {
					exec(t, f.s, "UPDATE funnel_stages SET position = $1 WHERE id = $2", i+1, st.ID)
				}
				got, err := f.s.MoveStage(ctx, f.acc.ID, tc.stage.ID, tc.position)
				if err != nil {
					t.Fatal(err)
				}
				if s := order(t, got); s != tc.want {
					t.Fatalf("funnel = %s, want %s", s, tc.want)
				}
				stored, _ := f.s.ListStages(ctx, f.acc.ID)
				if s := order(t, stored); s != tc.want {
					t.Fatalf("stored funnel = %s, want %s", s, tc.want)
				}
			})
		}
		t.Run("move closes gaps in positions", func(t *testing.T) {
			for i, st := range []lead.Stage{a, b, c, d} {
				exec(t, f.s, "UPDATE funnel_stages SET position = $1 WHERE id = $2", (i+1)*10, st.ID)
			}
			got, err := f.s.MoveStage(ctx, f.acc.ID, b.ID, 1)
			if err != nil || order(t, got) != "BACD" {
				t.Fatalf("MoveStage = %+v, %v", got, err)
			}
		})

		t.Run("another account's stage is ENotFound", func(t *testing.T) {
			_, err := f.s.GetStage(ctx, f.acc.ID, theirs.ID)
			wantCode(t, err, lead.ENotFound, "funnel stage")
			_, err = f.s.UpdateStage(ctx, f.acc.ID, theirs.ID, "Mine", "", "")
			wantCode(t, err, lead.ENotFound, "funnel stage")
			_, err = f.s.MoveStage(ctx, f.acc.ID, theirs.ID, 1)
			wantCode(t, err, lead.ENotFound, "funnel stage")
			wantCode(t, f.s.DeleteStage(ctx, f.acc.ID, theirs.ID), lead.ENotFound, "funnel stage")
			got, err := o.s.GetStage(ctx, o.acc.ID, theirs.ID)
			if err != nil || got.Name != "Theirs" || got.Position != 1 {
				t.Fatalf("their stage = %+v, %v", got, err)
			}
		})

		t.Run("delete of a stage in use is EConflict", func(t *testing.T) {
			in := contact("79996100001", "")
			in.FunnelStageID = &b.ID
			f.add(t, in)
			wantCode(t, f.s.DeleteStage(ctx, f.acc.ID, b.ID), lead.EConflict)
			f.source(t, lead.Source{Name: "Stage default", Type: lead.SourceManual, DefaultStageID: &c.ID})
			wantCode(t, f.s.DeleteStage(ctx, f.acc.ID, c.ID), lead.EConflict)
		})
		t.Run("delete of an unused stage, then ENotFound", func(t *testing.T) {
			if err := f.s.DeleteStage(ctx, f.acc.ID, d.ID); err != nil {
				t.Fatal(err)
			}
			wantCode(t, f.s.DeleteStage(ctx, f.acc.ID, d.ID), lead.ENotFound)
			got, err := f.s.MoveStage(ctx, f.acc.ID, a.ID, 99)
			if err != nil || len(got) != 3 || byID[got[2].ID] != "A" {
				t.Fatalf("after the delete, MoveStage = %+v, %v", got, err)
			}
			order(t, got)
		})
	})
}

func TestSourceEdits(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		mine, theirs := f.refs(t, "mine"), o.refs(t, "theirs")
		src := f.source(t, lead.Source{Name: "Form"})

		t.Run("update renames and sets defaults, keeping type, token and state", func(t *testing.T) {
			got, err := f.s.UpdateSource(ctx, lead.Source{ID: src.ID, AccountID: f.acc.ID, Name: "  Форма ", Type: lead.SourcePhone,
				Enabled: false, DefaultOwnerID: &mine.owner.ID, DefaultStageID: &mine.stage.ID,
				DefaultUnitID: &mine.office.ID, DefaultCityID: &mine.city.ID})
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "Форма" || got.Type != lead.SourceWebhook || !got.Enabled || got.Token != src.Token ||
				show(got.DefaultOwnerID, got.DefaultStageID, got.DefaultUnitID, got.DefaultCityID) !=
					show(&mine.owner.ID, &mine.stage.ID, &mine.office.ID, &mine.city.ID) {
				t.Fatalf("UpdateSource = %+v", got)
			}
			got, err = f.s.UpdateSource(ctx, lead.Source{ID: src.ID, AccountID: f.acc.ID, Name: "Форма"})
			if err != nil || got.DefaultOwnerID != nil || got.DefaultStageID != nil || got.DefaultUnitID != nil || got.DefaultCityID != nil {
				t.Fatalf("clearing the defaults: %+v, %v", got, err)
			}
		})

		inactive := f.user(t, "inactive@example.com")
		exec(t, f.s, "UPDATE users SET active = $1 WHERE id = $2", false, inactive.ID)
		bad := []struct {
			name  string
			set   func(*lead.Source)
			code  lead.Code
			field string
		}{
			{"blank name", func(s *lead.Source) { s.Name = " " }, lead.EInvalid, "name"},
			{"another account's owner", func(s *lead.Source) { s.DefaultOwnerID = &theirs.owner.ID }, lead.EInvalid, "userIdOwner"},
			{"an inactive owner", func(s *lead.Source) { s.DefaultOwnerID = &inactive.ID }, lead.EInvalid, "userIdOwner"},
			{"another account's stage", func(s *lead.Source) { s.DefaultStageID = &theirs.stage.ID }, lead.EInvalid, "funnelStageId"},
			{"another account's office", func(s *lead.Source) { s.DefaultUnitID = &theirs.office.ID }, lead.EInvalid, "locationUnitId"},
			{"another account's city", func(s *lead.Source) { s.DefaultCityID = &theirs.city.ID }, lead.EInvalid, "locationCityId"},
			{"another account's source", func(s *lead.Source) { s.ID = o.src.ID }, lead.ENotFound, "source"},
		}
		for _, tc := range bad {
			t.Run("update refuses "+tc.name, func(t *testing.T) {
				before, _ := f.s.GetSource(ctx, f.acc.ID, src.ID)
				s := lead.Source{ID: src.ID, AccountID: f.acc.ID, Name: "Changed"}
				tc.set(&s)
				_, err := f.s.UpdateSource(ctx, s)
				wantCode(t, err, tc.code, tc.field)
				if after, _ := f.s.GetSource(ctx, f.acc.ID, src.ID); !reflect.DeepEqual(after, before) {
					t.Fatalf("a refused update was written: %+v", after)
				}
			})
		}
		t.Run("their source is untouched", func(t *testing.T) {
			if got, err := o.s.GetSource(ctx, o.acc.ID, o.src.ID); err != nil || got.Name != o.src.Name {
				t.Fatalf("their source = %+v, %v", got, err)
			}
		})

		t.Run("delete of a source without leads or deliveries", func(t *testing.T) {
			unused := f.source(t, lead.Source{Name: "Unused"})
			if err := f.s.DeleteSource(ctx, f.acc.ID, unused.ID); err != nil {
				t.Fatal(err)
			}
			_, err := f.s.GetSource(ctx, f.acc.ID, unused.ID)
			wantCode(t, err, lead.ENotFound)
			if _, err := f.s.SourceByToken(ctx, unused.Token); lead.ErrorCode(err) != lead.ENotFound {
				t.Fatalf("the deleted source's token still works: %v", err)
			}
			wantCode(t, f.s.DeleteSource(ctx, f.acc.ID, unused.ID), lead.ENotFound)
		})
		t.Run("delete of a source with a lead is EConflict", func(t *testing.T) {
			manual := f.source(t, lead.Source{Name: "Manual", Type: lead.SourceManual})
			in := contact("79996200001", "")
			in.SourceID = &manual.ID
			f.add(t, in)
			wantCode(t, f.s.DeleteSource(ctx, f.acc.ID, manual.ID), lead.EConflict)
		})
		t.Run("delete of a webhook with leads and idempotency keys is EConflict", func(t *testing.T) {
			in := f.intake("79996200002", "")
			in.Idem = &store.Idem{Key: "k1", BodyHash: "h1"}
			f.create(t, in)
			wantCode(t, f.s.DeleteSource(ctx, f.acc.ID, f.src.ID), lead.EConflict)
			replay, err := f.s.FindIdempotent(ctx, f.src.ID, store.Idem{Key: "k1", BodyHash: "h1"})
			if err != nil || replay == nil {
				t.Fatalf("the refused delete dropped the idempotency key: %+v, %v", replay, err)
			}
		})
		t.Run("delete of a source with only rejected deliveries is EConflict", func(t *testing.T) {
			hook := f.source(t, lead.Source{Name: "Rejecting"})
			d := lead.Delivery{Method: "POST", Status: 422, Body: []byte(`{}`)}
			if err := f.s.LogDelivery(ctx, hook, d, nil, nil); err != nil {
				t.Fatal(err)
			}
			wantCode(t, f.s.DeleteSource(ctx, f.acc.ID, hook.ID), lead.EConflict)
		})
		t.Run("delete of another account's source is ENotFound", func(t *testing.T) {
			wantCode(t, f.s.DeleteSource(ctx, f.acc.ID, o.src.ID), lead.ENotFound)
			if _, err := o.s.GetSource(ctx, o.acc.ID, o.src.ID); err != nil {
				t.Fatalf("their source: %v", err)
			}
		})
	})
}
