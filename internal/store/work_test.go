package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// wantCodeOf is wantCode for a case named what.
func wantCodeOf(t *testing.T, what string, err error, code lead.Code) {
	t.Helper()
	if lead.ErrorCode(err) != code {
		t.Fatalf("%s: error %v (code %d), want code %d", what, err, lead.ErrorCode(err), code)
	}
}

func TestNotes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		anna, boris := f.user(t, "anna-notes@example.com"), f.user(t, "boris-notes@example.com")
		l := f.add(t, contact("79990000001", ""))
		clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		setClock(f.s, clock)

		n, err := f.s.AddNote(ctx, f.acc.ID, l.ID, &anna.ID, "  перезвонить после 18:00,\r\nинтересует кухня 3 м  ")
		if err != nil {
			t.Fatal(err)
		}
		if n.Text != "перезвонить после 18:00,\nинтересует кухня 3 м" || n.Created != clock.Unix() || *n.UserID != anna.ID || n.Updated != nil {
			t.Fatalf("note as written: %+v", n)
		}
		t.Run("ErrText", func(t *testing.T) {
			for name, text := range map[string]string{"empty": "", "blank": " \n ", "too long": strings.Repeat("я", lead.MaxNote+1)} {
				_, err := f.s.AddNote(ctx, f.acc.ID, l.ID, &anna.ID, text)
				wantCodeOf(t, name, err, lead.EInvalid)
			}
			if _, err := f.s.AddNote(ctx, f.acc.ID, l.ID, &anna.ID, strings.Repeat("я", lead.MaxNote)); err != nil {
				t.Fatalf("a note of exactly %d letters: %v", lead.MaxNote, err)
			}
		})
		t.Run("OtherAccount", func(t *testing.T) {
			_, err := o.s.AddNote(ctx, o.acc.ID, l.ID, nil, "чужой")
			wantCodeOf(t, "a note on another account's lead", err, lead.ENotFound)
			_, err = f.s.GetNote(ctx, o.acc.ID, n.ID)
			wantCodeOf(t, "another account's note", err, lead.ENotFound)
			_, err = f.s.ListNotes(ctx, o.acc.ID, l.ID)
			wantCodeOf(t, "another account's notes", err, lead.ENotFound)
		})

		// The author edits within the window; someone else may not; an
		// admin may not edit but may delete.
		setClock(f.s, clock.Add(14*time.Minute+59*time.Second))
		if e, err := f.s.EditNote(ctx, f.acc.ID, n.ID, store.NoteEditor{UserID: &anna.ID}, "перезвонить после 19:00"); err != nil ||
			e.Text != "перезвонить после 19:00" || e.Updated == nil || *e.Updated != clock.Add(899*time.Second).Unix() {
			t.Fatalf("edit within 15 minutes: %+v %v", e, err)
		}
		_, err = f.s.EditNote(ctx, f.acc.ID, n.ID, store.NoteEditor{UserID: &boris.ID}, "моё")
		wantCodeOf(t, "edit by another user", err, lead.EForbidden)
		_, err = f.s.EditNote(ctx, f.acc.ID, n.ID, store.NoteEditor{UserID: &boris.ID, Admin: true}, "моё")
		wantCodeOf(t, "edit by an admin", err, lead.EForbidden)
		wantCodeOf(t, "delete by another user", f.s.DeleteNote(ctx, f.acc.ID, n.ID, store.NoteEditor{UserID: &boris.ID}), lead.EForbidden)

		setClock(f.s, clock.Add(15*time.Minute))
		_, err = f.s.EditNote(ctx, f.acc.ID, n.ID, store.NoteEditor{UserID: &anna.ID}, "поздно")
		wantCodeOf(t, "edit after 15 minutes", err, lead.EConflict)
		wantCodeOf(t, "delete after 15 minutes", f.s.DeleteNote(ctx, f.acc.ID, n.ID, store.NoteEditor{UserID: &anna.ID}), lead.EConflict)
		if got, _ := f.s.GetNote(ctx, f.acc.ID, n.ID); got.Text != "перезвонить после 19:00" {
			t.Fatalf("a refused edit changed the note: %q", got.Text)
		}

		// A fresh note: its author deletes it in time.
		n2, err := f.s.AddNote(ctx, f.acc.ID, l.ID, &boris.ID, "ошибся лидом")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteNote(ctx, f.acc.ID, n2.ID, store.NoteEditor{UserID: &boris.ID}); err != nil {
			t.Fatalf("author deletes within the window: %v", err)
		}
		if err := f.s.DeleteNote(ctx, f.acc.ID, n.ID, store.NoteEditor{UserID: &boris.ID, Admin: true}); err != nil {
			t.Fatalf("admin deletes an old note: %v", err)
		}
		notes, err := f.s.ListNotes(ctx, f.acc.ID, l.ID)
		if err != nil || len(notes) != 1 || notes[0].Text != strings.Repeat("я", lead.MaxNote) {
			t.Fatalf("notes left: %+v %v", notes, err)
		}
		// No job and no history entry for a note: SPEC names lead events only.
		if n := countRows(t, f.s, "SELECT count(*) FROM jobs WHERE lead_id = $1 AND kind <> 'lead.created'", l.ID); n != 0 {
			t.Fatalf("notes wrote %d jobs", n)
		}
		if evs := f.events(t, l.ID); len(evs) != 1 {
			t.Fatalf("notes wrote history: %+v", evs)
		}
		// A deleted lead's notes are gone with it.
		if err := f.s.DeleteLead(ctx, f.acc.ID, nil, l.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.s.GetNote(ctx, f.acc.ID, notes[0].ID)
		wantCodeOf(t, "a note of a deleted lead", err, lead.ENotFound)
	})
}

func TestTasks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		anna, boris := f.user(t, "anna-tasks@example.com"), f.user(t, "boris-tasks@example.com")
		rival := o.user(t, "rival-tasks@example.com")
		owned := f.add(t, lead.Input{Phone: ptr("79990000002"), UserIDOwner: &boris.ID})
		orphan := f.add(t, contact("79990000003", ""))
		clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		setClock(f.s, clock)
		at := func(d time.Duration) int64 { return clock.Add(d).Unix() }

		// Default assignee: the lead's owner; without one, the creator.
		t1, err := f.s.AddTask(ctx, store.NewTask{AccountID: f.acc.ID, LeadID: owned.ID, UserID: &anna.ID, Text: "перезвонить в 18:00", Due: at(8 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if *t1.AssigneeID != boris.ID || *t1.CreatedBy != anna.ID || t1.Overdue || t1.Done != nil {
			t.Fatalf("task on an owned lead: %+v", t1)
		}
		t2, err := f.s.AddTask(ctx, store.NewTask{AccountID: f.acc.ID, LeadID: orphan.ID, UserID: &anna.ID, Text: "выслать КП", Due: at(time.Hour)})
		if err != nil || *t2.AssigneeID != anna.ID {
			t.Fatalf("task on a lead without owner: %+v %v", t2, err)
		}
		t3, err := f.s.AddTask(ctx, store.NewTask{AccountID: f.acc.ID, LeadID: orphan.ID, UserID: &anna.ID, Text: "просрочено", Due: at(-time.Minute), AssigneeID: &anna.ID})
		if err != nil || !t3.Overdue {
			t.Fatalf("a task due in the past is overdue: %+v %v", t3, err)
		}
		t.Run("Refused", func(t *testing.T) {
			for name, n := range map[string]store.NewTask{
				"no text":           {LeadID: owned.ID, Due: at(time.Hour)},
				"no due":            {LeadID: owned.ID, Text: "x"},
				"rival assignee":    {LeadID: owned.ID, Text: "x", Due: at(time.Hour), AssigneeID: &rival.ID},
				"unknown assignee":  {LeadID: owned.ID, Text: "x", Due: at(time.Hour), AssigneeID: ptr(int64(999999))},
				"another's lead id": {LeadID: o.add(t, contact("79990000009", "")).ID, Text: "x", Due: at(time.Hour)},
			} {
				n.AccountID = f.acc.ID
				_, err := f.s.AddTask(ctx, n)
				want := lead.EInvalid
				if name == "another's lead id" {
					want = lead.ENotFound
				}
				wantCodeOf(t, name, err, want)
			}
			_, err := f.s.GetTask(ctx, o.acc.ID, t1.ID)
			wantCodeOf(t, "another account's task", err, lead.ENotFound)
			_, err = f.s.SetTaskDone(ctx, o.acc.ID, t1.ID, nil, true)
			wantCodeOf(t, "done on another account's task", err, lead.ENotFound)
			_, err = f.s.ListTasks(ctx, f.acc.ID, store.TaskFilter{State: "later"})
			wantCodeOf(t, "unknown state", err, lead.EInvalid)
		})

		// Anna's open tasks: overdue first, by due time.
		mine, err := f.s.ListTasks(ctx, f.acc.ID, store.TaskFilter{AssigneeID: &anna.ID, State: store.TasksOpen})
		if err != nil || len(mine) != 2 || mine[0].ID != t3.ID || mine[1].ID != t2.ID || strOf(mine[1].LeadPhone) != `"79990000003"` {
			t.Fatalf("Anna's open tasks: %+v %v", mine, err)
		}
		if n, err := f.s.CountDueTasks(ctx, f.acc.ID, anna.ID); err != nil || n != 1 {
			t.Fatalf("Anna's due count: %d %v", n, err)
		}
		// Time passes: the second task comes due.
		setClock(f.s, clock.Add(time.Hour))
		if n, _ := f.s.CountDueTasks(ctx, f.acc.ID, anna.ID); n != 2 {
			t.Fatalf("Anna's due count an hour later: %d, want 2", n)
		}
		if got, _ := f.s.GetTask(ctx, f.acc.ID, t2.ID); !got.Overdue {
			t.Fatalf("a task at its due time is not overdue: %+v", got)
		}

		// Done, done again (the first mark stands), reopened.
		setClock(f.s, clock.Add(2*time.Hour))
		d, err := f.s.SetTaskDone(ctx, f.acc.ID, t2.ID, &boris.ID, true)
		if err != nil || d.Done == nil || *d.Done != at(2*time.Hour) || *d.DoneBy != boris.ID || d.Overdue {
			t.Fatalf("done: %+v %v", d, err)
		}
		setClock(f.s, clock.Add(3*time.Hour))
		if again, _ := f.s.SetTaskDone(ctx, f.acc.ID, t2.ID, &anna.ID, true); *again.Done != at(2*time.Hour) || *again.DoneBy != boris.ID {
			t.Fatalf("done twice: %+v", again)
		}
		if n, _ := f.s.CountDueTasks(ctx, f.acc.ID, anna.ID); n != 1 {
			t.Fatalf("due count after done: %d, want 1", n)
		}
		done, _ := f.s.ListTasks(ctx, f.acc.ID, store.TaskFilter{State: store.TasksDone})
		if len(done) != 1 || done[0].ID != t2.ID {
			t.Fatalf("done tasks: %+v", done)
		}
		r, err := f.s.SetTaskDone(ctx, f.acc.ID, t2.ID, &anna.ID, false)
		if err != nil || r.Done != nil || r.DoneBy != nil || !r.Overdue {
			t.Fatalf("reopened: %+v %v", r, err)
		}

		// Update: text, due, assignee; a rival assignee is refused.
		text, due := "перезвонить завтра", at(26*time.Hour)
		u, err := f.s.UpdateTask(ctx, f.acc.ID, t2.ID, store.TaskPatch{Text: &text, Due: &due, AssigneeID: &boris.ID})
		if err != nil || u.Text != text || u.Due != due || *u.AssigneeID != boris.ID || u.Overdue {
			t.Fatalf("update: %+v %v", u, err)
		}
		_, err = f.s.UpdateTask(ctx, f.acc.ID, t2.ID, store.TaskPatch{AssigneeID: &rival.ID})
		wantCodeOf(t, "update to a rival assignee", err, lead.EInvalid)

		// A lead's tasks; paging by id; a deleted lead's tasks leave every list.
		lt, _ := f.s.ListTasks(ctx, f.acc.ID, store.TaskFilter{LeadID: orphan.ID})
		if len(lt) != 2 {
			t.Fatalf("the orphan lead's tasks: %+v", lt)
		}
		p1, _ := f.s.ListTasks(ctx, f.acc.ID, store.TaskFilter{Limit: 2, ByID: true})
		p2, _ := f.s.ListTasks(ctx, f.acc.ID, store.TaskFilter{Limit: 2, ByID: true, After: p1[1].ID})
		if len(p1) != 2 || len(p2) != 1 || p1[0].ID != t1.ID || p2[0].ID != t3.ID {
			t.Fatalf("pages: %+v / %+v", p1, p2)
		}
		if err := f.s.DeleteLead(ctx, f.acc.ID, nil, orphan.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.s.CountDueTasks(ctx, f.acc.ID, anna.ID); n != 0 {
			t.Fatalf("a deleted lead's task still counts: %d", n)
		}
		all, _ := f.s.ListTasks(ctx, f.acc.ID, store.TaskFilter{})
		if len(all) != 1 || all[0].ID != t1.ID {
			t.Fatalf("tasks after deleting a lead: %+v", all)
		}
		if n := countRows(t, f.s, "SELECT count(*) FROM jobs WHERE kind NOT IN ('lead.created', 'lead.deleted')"); n != 0 {
			t.Fatalf("tasks wrote %d jobs", n)
		}

		// Deleting: the author may, an admin may; the assignee who did not
		// write it may not; another account cannot see it.
		for name, ed := range map[string]store.NoteEditor{"the assignee": {UserID: &boris.ID}, "nobody": {}} {
			if err := f.s.DeleteTask(ctx, f.acc.ID, t1.ID, ed); lead.ErrorCode(err) != lead.EForbidden {
				t.Fatalf("%s deleted anna's task: %v", name, err)
			}
		}
		if err := f.s.DeleteTask(ctx, o.acc.ID, t1.ID, store.NoteEditor{UserID: &rival.ID, Admin: true}); lead.ErrorCode(err) != lead.ENotFound {
			t.Fatalf("another account's admin deleting the task: %v", err)
		}
		if err := f.s.DeleteTask(ctx, f.acc.ID, t1.ID, store.NoteEditor{UserID: &anna.ID}); err != nil {
			t.Fatalf("the author deleting her task: %v", err)
		}
		if _, err := f.s.GetTask(ctx, f.acc.ID, t1.ID); lead.ErrorCode(err) != lead.ENotFound {
			t.Fatalf("a deleted task: %v", err)
		}
		t4, err := f.s.AddTask(ctx, store.NewTask{AccountID: f.acc.ID, LeadID: owned.ID, UserID: &anna.ID, Text: "ещё", Due: at(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteTask(ctx, f.acc.ID, t4.ID, store.NoteEditor{UserID: &boris.ID, Admin: true}); err != nil {
			t.Fatalf("an admin deleting a task: %v", err)
		}
	})
}

// TestFindDuplicates: the manual lead's hint tells what the pipeline then
// does — the same firstId and otherCount.
func TestFindDuplicates(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		a := f.add(t, contact("79991112233", ""))
		b := f.add(t, contact("", "Ivan@Example.com"))
		o.add(t, contact("79991112233", ""))
		for _, tc := range []struct {
			name         string
			phone, email string
			first        int64
			count        int64
		}{
			{"Phone", "79991112233", "", a.ID, 1},
			{"EmailAnyCase", "", "ivan@example.COM", b.ID, 1},
			{"Both", "79991112233", "ivan@example.com", a.ID, 2},
			{"None", "79990000000", "", 0, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := contact(tc.phone, tc.email)
				d, err := f.s.FindDuplicates(ctx, f.acc.ID, in.Phone, in.Email, 5)
				if err != nil {
					t.Fatal(err)
				}
				if d.Count != tc.count || (tc.first == 0) != (d.FirstID == nil) || (d.FirstID != nil && *d.FirstID != tc.first) || len(d.Leads) != int(tc.count) {
					t.Fatalf("hint: first %v count %d leads %d, want %d %d", d.FirstID, d.Count, len(d.Leads), tc.first, tc.count)
				}
				l, err := f.s.AddLead(ctx, store.NewLead{AccountID: f.acc.ID, Input: in, Via: "manual"})
				if err != nil {
					t.Fatal(err)
				}
				if l.OtherCount != d.Count || (l.FirstID == nil) != (d.FirstID == nil) || (l.FirstID != nil && *l.FirstID != *d.FirstID) {
					t.Fatalf("the pipeline said first %v count %d; the hint %v %d", l.FirstID, l.OtherCount, d.FirstID, d.Count)
				}
				f.s.DeleteLead(ctx, f.acc.ID, nil, l.ID) // the next case starts from the same leads
			})
		}
	})
}
