package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

// The subject of the erasure tests: one person, written several ways.
const (
	erasePhone = "79161234567"
	eraseEmail = "Erase.Me@Example.ORG"
	eraseName  = "Сидор Эрасов"
)

// eraseNeedles are every form the subject's data was sent in.
var eraseNeedles = []string{erasePhone, "9161234567", "+7 (916) 123-45-67", "8+916+123-45-67", "8 916 123 45 67",
	eraseEmail, strings.ToLower(eraseEmail), "Erase.Me%40Example.ORG", eraseName, "Эрасов", "перезвонить Сидору"}

// eraseScene fills f's account with the subject's leads, made every way a
// lead and its traces come about, among other people's leads; it returns
// the subject's leads and a lead that must survive.
func eraseScene(t *testing.T, f fixture) (subject []int64, other lead.Lead) {
	t.Helper()
	ctx := context.Background()
	admin, err := f.s.CreateUser(ctx, lead.User{AccountID: f.acc.ID, Name: "Админ", Email: fmt.Sprintf("admin%d@x.ru", f.acc.ID), Role: lead.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	filler := func(n, from int) {
		for i := range n {
			in := f.intake(fmt.Sprintf("7999%07d", from+i), fmt.Sprintf("filler%d@example.com", from+i))
			in.Input.Name = ptr(fmt.Sprintf("Наполнитель %d", from+i))
			in.Delivery.Body = []byte(fmt.Sprintf(`{"phone":"7999%07d","name":"Наполнитель %d"}`, from+i, from+i))
			f.create(t, in)
		}
	}
	filler(150, 0)

	// A JSON request with an Idempotency-Key, extra keys, a note, a task, a
	// client, and an edit of its name.
	in := f.idemIntake(erasePhone, "key-erase-1", "hash1")
	in.Input.Email, in.Input.Name = ptr(eraseEmail), ptr("Сидор")
	in.Input.Extra = json.RawMessage(`{"comment":"звонить на 8 916 123 45 67"}`)
	in.Input.Marks.UTMSource = ptr("yandex")
	in.Input.Marks.IP = ptr("203.0.113.9")
	in.Delivery.Body = []byte(`{"phone":"+7 (916) 123-45-67","email":"` + eraseEmail + `","name":"Сидор","comment":"звонить на 8 916 123 45 67"}`)
	in.Delivery.RemoteAddr = "203.0.113.9"
	first := f.create(t, in).Lead
	if again := f.create(t, in); !again.Replayed { // the sender's retry, answered from the kept answer
		t.Fatalf("retry = %+v", again)
	}
	if _, err := f.s.UpdateLead(ctx, f.acc.ID, &admin.ID, first.ID, store.LeadPatch{Input: lead.Input{Name: ptr(eraseName)}, Present: []string{"name"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.AddNote(ctx, f.acc.ID, first.ID, &admin.ID, "Просил перезвонить Сидору вечером"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.AddTask(ctx, store.NewTask{AccountID: f.acc.ID, LeadID: first.ID, UserID: &admin.ID, Text: "перезвонить Сидору", Due: time.Now().Add(time.Hour).Unix()}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.ClientFromLead(ctx, f.acc.ID, &admin.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	// A form post by phone only.
	in = f.intake(erasePhone, "")
	in.Delivery.ContentType = "application/x-www-form-urlencoded"
	in.Delivery.Body = []byte("phone=8+916+123-45-67&name=%D0%A1%D0%B8%D0%B4%D0%BE%D1%80")
	second := f.create(t, in).Lead
	// By email only, another case.
	in = f.intake("", strings.ToLower(eraseEmail))
	in.Delivery.Body = []byte(`email=Erase.Me%40Example.ORG`)
	third := f.create(t, in).Lead
	// A lead that had the phone and was edited to another one.
	in = f.intake(erasePhone, "")
	in.Delivery.Body = []byte(`{"phone":"` + erasePhone + `"}`)
	moved := f.create(t, in).Lead
	if _, err := f.s.UpdateLead(ctx, f.acc.ID, &admin.ID, moved.ID, store.LeadPatch{Input: lead.Input{Phone: ptr("79260000000")}, Present: []string{"phone"}}); err != nil {
		t.Fatal(err)
	}
	// A refused request and its kept answer.
	if err := f.s.LogDelivery(ctx, f.src, lead.Delivery{Method: "POST", Status: 422, Body: []byte(`{"phone":"+79161234567","email":"bad"}`),
		Errors: json.RawMessage(`{"errors":{"email":["bad"]}}`)}, &store.Idem{Key: "key-erase-2", BodyHash: "h2"}, []byte(`{"errors":{"email":["bad"]}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SaveImportFile(ctx, f.acc.ID, admin.ID, "leads.csv", []byte("name;phone\n"+eraseName+";89161234567\n")); err != nil {
		t.Fatal(err)
	}
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"Имя", "Телефон", "Email"})
	x.SetSheetRow("Sheet1", "A2", &[]any{eraseName, 89161234567, eraseEmail})
	var xlsx bytes.Buffer
	if err := x.Write(&xlsx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SaveImportFile(ctx, f.acc.ID, admin.ID, "leads.xlsx", xlsx.Bytes()); err != nil {
		t.Fatal(err)
	}
	// Someone else's spreadsheet stays.
	if _, err := f.s.SaveImportFile(ctx, f.acc.ID, admin.ID, "others.csv", []byte("name;phone\nДругой;89035550000\n")); err != nil {
		t.Fatal(err)
	}
	other = f.create(t, f.intake("79035550000", "keep@example.com")).Lead
	filler(150, 1000)
	return []int64{first.ID, second.ID, third.ID, moved.ID}, other
}

func TestErase(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		s, dsn := storetest.OpenDSN(t, engine)
		f := fixtureOn(t, s, "ООО Ромашка")
		subject, other := eraseScene(t, f)
		before := f.get(t, subject[0])
		req := store.EraseRequest{AccountID: f.acc.ID, Actor: "test", Phone: erasePhone, Email: eraseEmail, Reason: "Отзыв согласия", DryRun: true}

		dry, err := s.Erase(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		want := lead.ErasureCounts{Leads: 4, Clients: 1, Deliveries: 6, Idempotency: 2, Events: 2, Jobs: 2, Notes: 1, Tasks: 1, ImportFiles: 2}
		if dry.Counts != want || !slicesEqual(dry.LeadIDs, subject) || dry.ID != 0 {
			t.Fatalf("dry run = %+v %v; want %+v %v", dry.Counts, dry.LeadIDs, want, subject)
		}
		if l := f.get(t, subject[0]); l.Phone == nil || *l.Phone != erasePhone {
			t.Fatalf("a dry run changed the lead: %+v", l)
		}
		if n := countRows(t, s, "SELECT count(*) FROM erasures"); n != 0 {
			t.Fatalf("a dry run wrote %d erasures", n)
		}

		req.DryRun = false
		e, err := s.Erase(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if e.Counts != want || e.ID == 0 || e.Purged == nil || e.PhoneHash == "" || e.EmailHash == "" || strings.Contains(e.PhoneHash, erasePhone) {
			t.Fatalf("erasure = %+v", e)
		}

		// Nothing of the subject is left in the database's files.
		for _, needle := range eraseNeedles {
			if where := storetest.Holding(t, engine, dsn, needle); len(where) > 0 {
				t.Errorf("%q is still in %v", needle, where)
			}
		}
		// Its control: the other person's data is.
		if where := storetest.Holding(t, engine, dsn, "keep@example.com"); len(where) == 0 {
			t.Errorf("the check found no other person's email: it cannot see what it looks for")
		}

		l := f.get(t, subject[0])
		if l.Name == nil || *l.Name != lead.ErasedText || l.Phone != nil || l.Email != nil || l.IP != nil ||
			l.UTMSource == nil || *l.UTMSource != "yandex" || l.DtCreate != before.DtCreate || l.FunnelStageID == nil ||
			*l.FunnelStageID != *before.FunnelStageID || l.SourceID == nil || *l.SourceID != f.src.ID {
			t.Errorf("erased lead = %+v", l)
		}
		// The search box finds none of it (the trigram indexes followed).
		for _, lf := range []store.LeadFilter{{Digits: "1234567"}, {Phone: erasePhone}, {Text: "эрасов"}, {Text: "erase.me"}} {
			if got := f.list(t, lf); len(got) != 0 {
				t.Errorf("search %+v finds %d leads", lf, len(got))
			}
		}
		if got := f.list(t, store.LeadFilter{Digits: "5550000"}); len(got) != 1 {
			t.Errorf("the search finds %d leads of the other person, want 1", len(got))
		}
		if last := f.lastEvent(t, subject[0]); last.Action != "erase" {
			t.Errorf("last event = %+v; want the erasure", last)
		}
		if got := f.get(t, other.ID); got.Phone == nil || *got.Phone != "79035550000" {
			t.Errorf("another person's lead = %+v", got)
		}
		erased := 0
		for _, d := range f.deliveries(t) {
			if d.Erased != nil {
				erased++
				if len(d.Body) != 0 || d.RemoteAddr != "" || d.Mapped != nil || d.Quarantined() {
					t.Errorf("erased delivery = %+v", d)
				}
			}
		}
		if erased != int(want.Deliveries) {
			t.Errorf("%d deliveries marked erased, want %d", erased, want.Deliveries)
		}
		if q, err := s.QuarantinedDeliveries(ctx, f.acc.ID, f.src.ID, 0, 100); err != nil || len(q) != 0 {
			t.Errorf("an erased request can still be re-processed: %+v, %v", q, err)
		}
		// A retry of the first request gets the erased lead.
		again, err := s.FindIdempotent(ctx, f.src.ID, store.Idem{Key: "key-erase-1", BodyHash: "hash1"})
		if err != nil || again == nil || !bytes.Contains(again.Body, []byte(lead.ErasedText)) {
			t.Errorf("replayed answer = %+v, %v", again, err)
		}
		got, err := s.GetErasure(ctx, f.acc.ID, e.ID)
		if err != nil || got.Counts != want || got.Reason != "Отзыв согласия" || !slicesEqual(got.LeadIDs, subject) {
			t.Errorf("GetErasure = %+v, %v", got, err)
		}
		if _, err := s.GetErasure(ctx, f.other(t).acc.ID, e.ID); err == nil {
			t.Errorf("another account read the erasure")
		}
		list, err := s.ListErasures(ctx, f.acc.ID, 0, 10)
		if err != nil || len(list) != 1 || list[0].ID != e.ID {
			t.Errorf("ListErasures = %+v, %v", list, err)
		}
		// Asked again, nothing is left to erase; the request is recorded.
		e2, err := s.Erase(ctx, req)
		if err != nil || e2.Counts != (lead.ErasureCounts{}) || e2.PhoneHash != e.PhoneHash {
			t.Errorf("second erasure = %+v, %v", e2, err)
		}
	})
}

// TestErasePurgeLater: over the size an erasure rewrites at once, the
// erasure says it waits; PurgeErased clears the file then, and the record
// says when.
func TestErasePurgeLater(t *testing.T) {
	ctx := context.Background()
	s, dsn := storetest.OpenDSN(t, "sqlite")
	f := fixtureOn(t, s, "Acme")
	in := f.intake(erasePhone, "")
	in.Delivery.Body = []byte(`{"phone":"+7 (916) 123-45-67"}`)
	f.create(t, in)
	s.SetPurgeNowBytes(1)
	e, err := s.Erase(ctx, store.EraseRequest{AccountID: f.acc.ID, Actor: "test", Phone: erasePhone, Reason: "Запрос"})
	if err != nil || e.Purged != nil || e.Counts.Leads != 1 {
		t.Fatalf("Erase = %+v, %v; want the purge left for later", e, err)
	}
	if got, _ := s.GetErasure(ctx, f.acc.ID, e.ID); got.Purged != nil {
		t.Fatalf("the record says purged: %+v", got)
	}
	n, err := s.PurgeErased(ctx)
	if err != nil || n != 1 {
		t.Fatalf("PurgeErased = %d, %v", n, err)
	}
	for _, needle := range []string{erasePhone, "123-45-67"} {
		if where := storetest.Holding(t, "sqlite", dsn, needle); len(where) > 0 {
			t.Errorf("%q is still in %v", needle, where)
		}
	}
	if got, _ := s.GetErasure(ctx, f.acc.ID, e.ID); got.Purged == nil {
		t.Errorf("the record does not say when it was purged: %+v", got)
	}
	if n, err := s.PurgeErased(ctx); err != nil || n != 0 {
		t.Errorf("a second PurgeErased = %d, %v", n, err)
	}
}

func TestEraseIsolationAndInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		mine := f.create(t, f.intake(erasePhone, "")).Lead
		theirs := o.create(t, o.intake(erasePhone, "")).Lead
		e, err := f.s.Erase(ctx, store.EraseRequest{AccountID: f.acc.ID, Actor: "test", Phone: erasePhone, Reason: "Запрос субъекта"})
		if err != nil || e.Counts.Leads != 1 {
			t.Fatalf("Erase = %+v, %v", e, err)
		}
		if l := f.get(t, mine.ID); l.Phone != nil {
			t.Errorf("lead kept its phone: %+v", l)
		}
		if l, err := o.s.GetLead(ctx, o.acc.ID, theirs.ID); err != nil || l.Phone == nil || *l.Phone != erasePhone {
			t.Errorf("another account's lead = %+v, %v", l, err)
		}
		for name, r := range map[string]store.EraseRequest{
			"ErrSelector": {AccountID: f.acc.ID, Reason: "x"},
			"ErrReason":   {AccountID: f.acc.ID, Phone: erasePhone, Reason: "  "},
			"ErrLong":     {AccountID: f.acc.ID, Phone: erasePhone, Reason: strings.Repeat("я", lead.MaxErasureReason+1)},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := f.s.Erase(ctx, r)
				wantCode(t, err, lead.EInvalid, map[string]string{"ErrSelector": "phone", "ErrReason": "reason", "ErrLong": "reason"}[name])
			})
		}
	})
}

func TestRawRetention(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		s, dsn := storetest.OpenDSN(t, engine)
		f := fixtureOn(t, s, "Acme")
		t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		now := t0
		s.SetClock(func() time.Time { return now })
		old := f.intake("79160000001", "")
		old.Delivery.Body = []byte(`{"phone":"+7 916 000-00-01","name":"Старый"}`)
		oldLead := f.create(t, old).Lead
		now = t0.Add(5 * 24 * time.Hour)
		fresh := f.intake("79160000002", "")
		fresh.Delivery.Body = []byte(`{"phone":"+7 916 000-00-02"}`)
		f.create(t, fresh)
		now = t0.Add(8 * 24 * time.Hour)

		if err := s.SetAccountRetention(ctx, f.acc.ID, -1); err == nil {
			t.Fatal("a negative retention was taken")
		}
		if out, err := s.EraseOldRequests(ctx); err != nil || len(out) != 0 {
			t.Fatalf("without a retention: %+v, %v", out, err)
		}
		if err := s.SetAccountRetention(ctx, f.acc.ID, 7); err != nil {
			t.Fatal(err)
		}
		if d, err := s.AccountRetention(ctx, f.acc.ID); err != nil || d != 7 {
			t.Fatalf("AccountRetention = %d, %v", d, err)
		}
		out, err := s.EraseOldRequests(ctx)
		if err != nil || len(out) != 1 || out[0].Counts.Deliveries != 1 || out[0].Kind != lead.ErasureRetention || out[0].ID == 0 || out[0].Purged == nil {
			t.Fatalf("EraseOldRequests = %+v, %v", out, err)
		}
		if w := storetest.Holding(t, engine, dsn, "+7 916 000-00-01"); len(w) > 0 {
			t.Errorf("the old raw request is still in %v", w)
		}
		if w := storetest.Holding(t, engine, dsn, "+7 916 000-00-02"); len(w) == 0 {
			t.Errorf("the fresh raw request is gone")
		}
		// The lead itself stays: retention is of the raw requests.
		if l := f.get(t, oldLead.ID); l.Phone == nil || *l.Phone != "79160000001" {
			t.Errorf("old lead = %+v", l)
		}
		if out, err := s.EraseOldRequests(ctx); err != nil || len(out) != 0 {
			t.Errorf("a second run = %+v, %v", out, err)
		}
		now = t0.Add(13 * 24 * time.Hour)
		if out, err := s.EraseOldRequests(ctx); err != nil || len(out) != 1 || out[0].Counts.Deliveries != 1 {
			t.Errorf("a later run = %+v, %v", out, err)
		}

		// More than one transaction's worth (2,000 rows each): one record
		// counts them all, in the database as in the answer.
		exec(t, s, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4500)
			INSERT INTO deliveries (account_id, source_id, received_at, method, status, body)
			SELECT $1, $2, $3, 'POST', 422, $4 FROM n`, f.acc.ID, f.src.ID, t0.Add(14*24*time.Hour).UnixMilli(), []byte(`{"phone":"нет"}`))
		now = t0.Add(30 * 24 * time.Hour)
		out, err = s.EraseOldRequests(ctx)
		if err != nil || len(out) != 1 || out[0].Counts.Deliveries != 4500 {
			t.Fatalf("a run over 4500 rows = %+v, %v", out, err)
		}
		if n := countRows(t, s, "SELECT deliveries FROM erasures WHERE id = $1", out[0].ID); n != 4500 {
			t.Fatalf("the record counts %d rows, want 4500", n)
		}
		if n := countRows(t, s, "SELECT count(*) FROM deliveries WHERE erased_at IS NULL AND received_at < $1", t0.Add(23*24*time.Hour).UnixMilli()); n != 0 {
			t.Fatalf("%d old rows left", n)
		}
	})
}

func slicesEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEraseDuringIntake: erasures run while leads keep coming; every lead
// is answered and kept, and the subject's leads that came before each
// erasure are erased.
func TestEraseDuringIntake(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		const writers, each = 8, 40
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					phone := fmt.Sprintf("7998%03d%04d", w, i)
					if i%10 == 0 {
						phone = erasePhone // the subject keeps sending
					}
					if _, err := f.s.CreateLead(ctx, f.intake(phone, "")); err != nil {
						errs <- err
					}
				}
			}()
		}
		erasures := 0
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
	loop:
		for {
			if _, err := f.s.Erase(ctx, store.EraseRequest{AccountID: f.acc.ID, Actor: "test", Phone: erasePhone, Reason: "Запрос"}); err != nil {
				t.Errorf("Erase: %v", err)
			}
			erasures++
			select {
			case <-done:
				break loop
			default:
			}
		}
		close(errs)
		for err := range errs {
			t.Errorf("CreateLead during an erasure: %v", err)
		}
		if n := f.count(t); n != writers*each {
			t.Errorf("%d leads, want %d", n, writers*each)
		}
		// One more erasure takes whatever came after the last.
		if _, err := f.s.Erase(ctx, store.EraseRequest{AccountID: f.acc.ID, Actor: "test", Phone: erasePhone, Reason: "Запрос"}); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, f.s, "SELECT count(*) FROM leads WHERE phone = $1", erasePhone); n != 0 {
			t.Errorf("%d leads keep the phone", n)
		}
		if n := countRows(t, f.s, "SELECT count(*) FROM leads WHERE name = $1", lead.ErasedText); n != writers*each/10 {
			t.Errorf("%d leads erased, want %d", n, writers*each/10)
		}
		t.Logf("%d erasures during %d leads", erasures, writers*each)
	})
}
