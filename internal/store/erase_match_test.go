package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

// TestEraseMatchesOnlyTheSubject: an erasure takes the subject's own
// contacts, not other people's that hold them as a part: an email that ends
// with the subject's (petr.ivan@… for ivan@…), a foreign number whose last
// ten digits are the subject's Russian ones, a longer number holding them.
// Their leads, raw requests and history stay.
func TestEraseMatchesOnlyTheSubject(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		admin, err := f.s.CreateUser(ctx, lead.User{AccountID: f.acc.ID, Name: "Админ", Email: "admin-match@x.ru", Role: lead.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		in := f.intake("79161234567", "ivan@mail.ru")
		in.Delivery.Body = []byte(`{"phone":"+7 916 123-45-67","email":"ivan@mail.ru"}`)
		subject := f.create(t, in).Lead

		others := map[string]store.Intake{}
		in = f.intake("", "petrivan@mail.ru")
		in.Delivery.Body = []byte(`{"email":"petrivan@mail.ru"}`)
		others["email ending with the subject's"] = in
		in = f.intake("", "ivan@mail.ru.com")
		in.Delivery.Body = []byte(`{"email":"ivan@mail.ru.com"}`)
		others["email starting with the subject's"] = in
		in = f.intake("19161234567", "")
		in.Delivery.Body = []byte(`{"phone":"+1 916 123-4567"}`)
		others["US number, same ten digits"] = in
		in = f.intake("4919161234567", "")
		in.Delivery.Body = []byte(`{"phone":"+49 191 6123 4567"}`)
		others["German number holding them"] = in
		ids := map[string]int64{}
		for name, in := range others {
			ids[name] = f.create(t, in).Lead.ID
		}
		// A lead whose history holds another email ending with the subject's.
		in = f.intake("", "sidorivan@mail.ru")
		in.Delivery.Body = []byte(`{}`)
		edited := f.create(t, in).Lead
		if _, err := f.s.UpdateLead(ctx, f.acc.ID, &admin.ID, edited.ID, store.LeadPatch{Input: lead.Input{Email: ptr("sidor@mail.ru")}, Present: []string{"email"}}); err != nil {
			t.Fatal(err)
		}
		ids["history holding an email ending with the subject's"] = edited.ID

		e, err := f.s.Erase(ctx, store.EraseRequest{AccountID: f.acc.ID, Actor: "test", Phone: "79161234567", Email: "ivan@mail.ru", Reason: "Запрос"})
		if err != nil {
			t.Fatal(err)
		}
		if !slicesEqual(e.LeadIDs, []int64{subject.ID}) {
			t.Errorf("erased leads %v, want only the subject's %d (others: %v)", e.LeadIDs, subject.ID, ids)
		}
		for name, id := range ids {
			if l := f.get(t, id); l.Name != nil && *l.Name == lead.ErasedText {
				t.Errorf("%s: lead %d was erased", name, id)
			}
		}
		for _, d := range f.deliveries(t) {
			if d.Erased != nil && d.ID != *subject.DeliveryID {
				t.Errorf("another person's request %d was erased", d.ID)
			}
		}
	})
}

// TestEraseKeepsOthersImportFiles: a spreadsheet waiting for import is
// removed when it holds the subject's phone or email, not when it holds a
// text that has the subject's first name inside it (Анна in Жанна).
func TestEraseKeepsOthersImportFiles(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		admin, err := f.s.CreateUser(ctx, lead.User{AccountID: f.acc.ID, Name: "Админ", Email: "admin-files@x.ru", Role: lead.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		in := f.intake("79161234567", "")
		in.Input.Name = ptr("Анна")
		f.create(t, in)
		theirs, err := f.s.SaveImportFile(ctx, f.acc.ID, admin.ID, "others.csv", []byte("name;phone\nЖанна;89035550000\nМарианна Ивановна;89035550001\n"))
		if err != nil {
			t.Fatal(err)
		}
		mine, err := f.s.SaveImportFile(ctx, f.acc.ID, admin.ID, "subject.csv", []byte("name;phone\nАнна;8 916 123-45-67\n"))
		if err != nil {
			t.Fatal(err)
		}
		e, err := f.s.Erase(ctx, store.EraseRequest{AccountID: f.acc.ID, Actor: "test", Phone: "79161234567", Reason: "Запрос"})
		if err != nil {
			t.Fatal(err)
		}
		if e.Counts.ImportFiles != 1 {
			t.Errorf("%d import files removed, want 1", e.Counts.ImportFiles)
		}
		if _, _, err := f.s.ImportFile(ctx, f.acc.ID, admin.ID, theirs); err != nil {
			t.Errorf("another people's spreadsheet is gone: %v", err)
		}
		if _, _, err := f.s.ImportFile(ctx, f.acc.ID, admin.ID, mine); err == nil {
			t.Errorf("the subject's spreadsheet stays")
		}
	})
}

// TestEraseDuringReprocess: a quarantined request read for re-processing
// just before an erasure blanks it must not become a lead afterwards: the
// lead would bring back the subject's phone from a request the erasure
// destroyed, and its fields as read would be written into the erased row.
func TestEraseDuringReprocess(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		d := f.quarantine(t, "+7 916 123-45-67")
		_, err := f.s.ReprocessDelivery(ctx, f.acc.ID, f.src.ID, d.ID, nil,
			func(lead.Source, lead.Delivery) (store.Reprocessed, error) {
				// The request has been read; the erasure comes now.
				if _, err := f.s.Erase(ctx, store.EraseRequest{AccountID: f.acc.ID, Actor: "test", Phone: "79161234567", Reason: "Запрос"}); err != nil {
					t.Fatal(err)
				}
				return store.Reprocessed{Input: contact("79161234567", ""), Mapped: []byte(`{"phone":"79161234567"}`), Render: render}, nil
			})
		if err == nil {
			t.Errorf("an erased request became a lead")
		}
		if n := countRows(t, f.s, "SELECT count(*) FROM leads WHERE phone = $1", "79161234567"); n != 0 {
			t.Errorf("%d leads hold the erased phone", n)
		}
		if n := countRows(t, f.s, "SELECT count(*) FROM deliveries WHERE mapped IS NOT NULL"); n != 0 {
			t.Errorf("the erased request holds its fields as read again")
		}
	})
}

// TestEraseKeepsTheOtherPersonOfAMention: another person's request that
// mentions the subject's number (a comment: call my husband on …) holds the
// subject's data, and its raw request and the comment go; but the lead is
// that other person's: their name, phone and email stay, and so do the
// notes on it that do not mention the subject.
func TestEraseKeepsTheOtherPersonOfAMention(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		admin, err := f.s.CreateUser(ctx, lead.User{AccountID: f.acc.ID, Name: "Админ", Email: "admin-mention@x.ru", Role: lead.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		in := f.intake("79161234567", "")
		in.Input.Name = ptr("Иван Субъектов")
		in.Delivery.Body = []byte(`{"phone":"+7 916 123-45-67","name":"Иван Субъектов"}`)
		subject := f.create(t, in).Lead
		in = f.intake("79035550000", "maria@example.com")
		in.Input.Name = ptr("Мария Другова")
		in.Input.Extra = []byte(`{"comment":"перезвоните мужу 8 916 123-45-67"}`)
		in.Delivery.Body = []byte(`{"phone":"79035550000","email":"maria@example.com","name":"Мария Другова","comment":"перезвоните мужу 8 916 123-45-67"}`)
		maria := f.create(t, in).Lead
		if _, err := f.s.AddNote(ctx, f.acc.ID, maria.ID, &admin.ID, "Хочет кухню к маю"); err != nil {
			t.Fatal(err)
		}

		e, err := f.s.Erase(ctx, store.EraseRequest{AccountID: f.acc.ID, Actor: "test", Phone: "79161234567", Reason: "Запрос"})
		if err != nil {
			t.Fatal(err)
		}
		if l := f.get(t, subject.ID); l.Phone != nil || l.Name == nil || *l.Name != lead.ErasedText {
			t.Errorf("the subject's lead = %+v", l)
		}
		l := f.get(t, maria.ID)
		if l.Name == nil || *l.Name != "Мария Другова" || l.Phone == nil || *l.Phone != "79035550000" || l.Email == nil || *l.Email != "maria@example.com" {
			t.Errorf("the other person's contacts are gone: name %v phone %v email %v", strOf(l.Name), strOf(l.Phone), strOf(l.Email))
		}
		if strings.Contains(string(l.Extra), "916") {
			t.Errorf("the mention stays in the other lead's fields: %s", l.Extra)
		}
		notes, err := f.s.ListNotes(ctx, f.acc.ID, maria.ID)
		if err != nil || len(notes) != 1 || notes[0].Text != "Хочет кухню к маю" {
			t.Errorf("the other lead's note = %+v, %v", notes, err)
		}
		for _, d := range f.deliveries(t) {
			if strings.Contains(string(d.Body), "916") {
				t.Errorf("a raw request still mentions the subject: %s", d.Body)
			}
		}
		if e.Counts.Leads != 2 {
			t.Errorf("%d leads changed, want 2 (the subject's, and the mention's comment)", e.Counts.Leads)
		}
	})
}

// TestEraseFindsNotesOnOtherLeads: a manager's note or task on another
// person's lead that holds the subject's number (written any way) is
// erased; the lead and its other notes stay.
func TestEraseFindsNotesOnOtherLeads(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		s, dsn := storetest.OpenDSN(t, engine)
		f := fixtureOn(t, s, "Acme")
		admin, err := f.s.CreateUser(ctx, lead.User{AccountID: f.acc.ID, Name: "Админ", Email: "admin-notes@x.ru", Role: lead.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		f.create(t, f.intake("79161234567", ""))
		maria := f.add(t, lead.Input{Name: ptr("Мария Другова"), Phone: ptr("79035550000")})
		if _, err := f.s.AddNote(ctx, f.acc.ID, maria.ID, &admin.ID, "Муж: 8 (916) 123-45-67, звонить ему"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.AddNote(ctx, f.acc.ID, maria.ID, &admin.ID, "Хочет кухню к маю"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.AddTask(ctx, store.NewTask{AccountID: f.acc.ID, LeadID: maria.ID, UserID: &admin.ID,
			Text: "Перезвонить мужу +79161234567", Due: time.Now().Add(time.Hour).Unix()}); err != nil {
			t.Fatal(err)
		}
		e, err := f.s.Erase(ctx, store.EraseRequest{AccountID: f.acc.ID, Actor: "test", Phone: "79161234567", Reason: "Запрос"})
		if err != nil {
			t.Fatal(err)
		}
		for _, needle := range []string{"123-45-67", "79161234567"} {
			if where := storetest.Holding(t, engine, dsn, needle); len(where) > 0 {
				t.Errorf("%q is still in %v", needle, where)
			}
		}
		if l := f.get(t, maria.ID); l.Name == nil || *l.Name != "Мария Другова" || l.Phone == nil {
			t.Errorf("the other person's lead = %s %s", strOf(l.Name), strOf(l.Phone))
		}
		notes, err := f.s.ListNotes(ctx, f.acc.ID, maria.ID)
		if err != nil || len(notes) != 2 {
			t.Fatalf("notes = %+v, %v", notes, err)
		}
		kept := 0
		for _, n := range notes {
			if n.Text == "Хочет кухню к маю" {
				kept++
			}
		}
		if kept != 1 {
			t.Errorf("the note that does not mention the subject = %+v", notes)
		}
		if e.Counts.Notes != 1 || e.Counts.Tasks != 1 {
			t.Errorf("counts = %+v; want a note and a task", e.Counts)
		}
	})
}

// TestEraseSavedFilters: a manager's saved filter that searches for the
// subject (its query, or its name, holds the phone or the email) goes with
// the erasure; other saved filters stay.
func TestEraseSavedFilters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		s, dsn := storetest.OpenDSN(t, engine)
		f := fixtureOn(t, s, "Acme")
		u, err := f.s.CreateUser(ctx, lead.User{AccountID: f.acc.ID, Name: "Менеджер", Email: "manager-filters@x.ru", Role: lead.RoleManager})
		if err != nil {
			t.Fatal(err)
		}
		f.create(t, f.intake("79161234567", "ivan@mail.ru"))
		for name, query := range map[string]string{"Иван": "q=8+916+123-45-67", "ivan@mail.ru": "q=ivan", "Мои": "owner=1"} {
			if _, err := f.s.SaveFilter(ctx, f.acc.ID, u.ID, name, query); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.s.Erase(ctx, store.EraseRequest{AccountID: f.acc.ID, Actor: "test", Phone: "79161234567", Email: "ivan@mail.ru", Reason: "Запрос"}); err != nil {
			t.Fatal(err)
		}
		for _, needle := range []string{"916+123-45-67", "ivan@mail.ru"} {
			if where := storetest.Holding(t, engine, dsn, needle); len(where) > 0 {
				t.Errorf("%q is still in %v", needle, where)
			}
		}
		list, err := f.s.SavedFilters(ctx, f.acc.ID, u.ID)
		if err != nil || len(list) != 1 || list[0].Name != "Мои" {
			t.Errorf("saved filters = %+v, %v; want «Мои» alone", list, err)
		}
	})
}

// TestEraseFindsNumbersAfterOtherNumbers: in free text a number may follow
// another one with only a space between them («заявка 2 +7 916 …», «1) 8
// 916 …»); the subject's number is found there too.
func TestEraseFindsNumbersAfterOtherNumbers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		s, dsn := storetest.OpenDSN(t, engine)
		f := fixtureOn(t, s, "Acme")
		for _, body := range []string{`{"text":"Заявка 2 +7 916 123-45-67"}`, `{"text":"Телефоны: 1) 8 916 123 45 68"}`} {
			if err := f.s.LogDelivery(ctx, f.src, lead.Delivery{Method: "POST", Status: 422, Body: []byte(body)}, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, phone := range []string{"79161234567", "79161234568"} {
			if _, err := f.s.Erase(ctx, store.EraseRequest{AccountID: f.acc.ID, Actor: "test", Phone: phone, Reason: "Запрос"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, needle := range []string{"916 123-45-67", "916 123 45 68"} {
			if where := storetest.Holding(t, engine, dsn, needle); len(where) > 0 {
				t.Errorf("%q is still in %v", needle, where)
			}
		}
	})
}
