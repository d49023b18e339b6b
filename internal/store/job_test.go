package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"leadbox/internal/jobs"
	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// event is a lead event's job as the queue holds it.
type event struct {
	kind    string
	lead    int64
	payload map[string]any
}

// queued returns every lead event queued in f's database, oldest first.
func (f fixture) queued(t *testing.T) []event {
	t.Helper()
	list, err := f.s.ListJobs(context.Background(), jobs.Queued, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []event
	for _, j := range list {
		if !strings.HasPrefix(j.Kind, "lead.") {
			continue
		}
		e := event{kind: j.Kind}
		if j.LeadID == nil {
			t.Fatalf("job %d (%s) names no lead", j.ID, j.Kind)
		}
		e.lead = *j.LeadID
		if err := json.Unmarshal(j.Payload, &e.payload); err != nil {
			t.Fatalf("job %d: payload %s: %v", j.ID, j.Payload, err)
		}
		if id, _ := e.payload["leadId"].(float64); int64(id) != e.lead {
			t.Fatalf("job %d: payload %s names another lead than %d", j.ID, j.Payload, e.lead)
		}
		if j.AccountID == nil || *j.AccountID != f.acc.ID {
			t.Fatalf("job %d: account %v, want %d", j.ID, j.AccountID, f.acc.ID)
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b event) int { return int(a.lead - b.lead) })
	return out
}

// quarantine logs a rejected webhook request with phone in f's delivery log
// and returns it.
func (f fixture) quarantine(t *testing.T, phone string) lead.Delivery {
	t.Helper()
	ctx := context.Background()
	body := `{"phone":"` + phone + `"}`
	if err := f.s.LogDelivery(ctx, f.src, lead.Delivery{Method: "POST", Status: 422, Body: []byte(body)}, nil, nil); err != nil {
		t.Fatal(err)
	}
	q, err := f.s.QuarantinedDeliveries(ctx, f.acc.ID, f.src.ID, 0, 1000)
	if err != nil || len(q) == 0 {
		t.Fatalf("quarantined: %v, %d", err, len(q))
	}
	return q[len(q)-1]
}

// reprocess makes d a lead with phone, as an admin with id user.
func (f fixture) reprocess(d lead.Delivery, phone string, user *int64) (lead.Lead, error) {
	return f.s.ReprocessDelivery(context.Background(), f.acc.ID, f.src.ID, d.ID, user,
		func(lead.Source, lead.Delivery) (store.Reprocessed, error) {
			return store.Reprocessed{Input: contact(phone, ""), Render: render}, nil
		})
}

// TestEveryPathWritesOneEvent creates leads by every path there is — the
// webhook alone and in a group (with a replay and a refusal in it), the API
// and re-processing — and edits them: every new lead has exactly one
// lead.created job and every edit one lead.updated or lead.deleted, written
// by the same transaction; replays and refusals write none.
func TestEveryPathWritesOneEvent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		ctx := context.Background()
		admin := f.user(t, "admin@example.ru")
		want := map[int64][]string{} // lead → its events' kinds, in order
		via := map[int64]string{}

		one := f.create(t, f.intake("79990000001", ""))
		want[one.Lead.ID], via[one.Lead.ID] = []string{jobs.LeadCreated}, "webhook"

		ins := []store.Intake{f.intake("79990000002", ""), f.intake("79990000002", "a@b.ru"), f.intake("79990000003", ""), f.intake("", "c@d.ru")}
		ins[2].Input.FunnelStageID = ptr(f.other(t).stage(t, "Other's").ID) // refused
		ins[3].Idem = &store.Idem{Key: "k", BodyHash: "h"}
		outs, errs := createGroup(t, f.s, ins)
		for i, out := range outs {
			if i == 2 {
				if lead.ErrorCode(errs[i]) != lead.EInvalid {
					t.Fatalf("refused request: %v", errs[i])
				}
				continue
			}
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			want[out.Lead.ID], via[out.Lead.ID] = []string{jobs.LeadCreated}, "webhook"
		}
		if replay := f.create(t, ins[3]); !replay.Replayed {
			t.Fatal("the retry with the key was not replayed")
		}

		api, err := f.s.AddLead(ctx, store.NewLead{AccountID: f.acc.ID, UserID: &admin.ID, Input: contact("79990000004", "")})
		if err != nil {
			t.Fatal(err)
		}
		want[api.ID], via[api.ID] = []string{jobs.LeadCreated}, "api"

		re, err := f.reprocess(f.quarantine(t, "79990000005"), "79990000005", &admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		want[re.ID], via[re.ID] = []string{jobs.LeadCreated}, "reprocess"

		if _, err := f.s.UpdateLead(ctx, f.acc.ID, &admin.ID, api.ID, store.LeadPatch{Input: lead.Input{Name: ptr("Анна")}, Present: []string{"name"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.MarkNoAnswer(ctx, f.acc.ID, &admin.ID, re.ID); err != nil {
			t.Fatal(err)
		}
		client, err := f.s.CreateClient(ctx, lead.Client{AccountID: f.acc.ID, Name: "ООО Ромашка"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.SetLeadClient(ctx, f.acc.ID, &admin.ID, one.Lead.ID, &client.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteLead(ctx, f.acc.ID, &admin.ID, api.ID); err != nil {
			t.Fatal(err)
		}
		want[api.ID] = append(want[api.ID], jobs.LeadUpdated, jobs.LeadDeleted)
		want[re.ID] = append(want[re.ID], jobs.LeadUpdated)
		want[one.Lead.ID] = append(want[one.Lead.ID], jobs.LeadUpdated)

		got := map[int64][]string{}
		for _, e := range f.queued(t) {
			got[e.lead] = append(got[e.lead], e.kind)
			if e.kind == jobs.LeadCreated && e.payload["via"] != via[e.lead] {
				t.Errorf("lead %d: created via %v, want %q", e.lead, e.payload["via"], via[e.lead])
			}
			if e.kind == jobs.LeadUpdated && e.payload["changes"] == nil {
				t.Errorf("lead %d: an update's event without its changes: %v", e.lead, e.payload)
			}
		}
		if len(got) != len(want) {
			t.Errorf("events for %d leads, want %d: %v", len(got), len(want), got)
		}
		for id, kinds := range want {
			if !slices.Equal(got[id], kinds) {
				t.Errorf("lead %d: events %v, want %v", id, got[id], kinds)
			}
		}
	})
}

// TestEventFailsWithItsLead makes the event of one lead fail to commit —
// on SQLite a trigger refuses its job row, on PostgreSQL a deferred
// constraint trigger fails the COMMIT itself — in a group and alone, by
// every creation path: that lead and its event are both missing afterwards,
// the rest of its group is stored with theirs.
func TestEventFailsWithItsLead(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		ctx := context.Background()
		_, write := store.DBs(f.s)
		gate := []string{`CREATE TRIGGER gate AFTER INSERT ON jobs
			WHEN (SELECT name FROM leads WHERE id = NEW.lead_id) = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`}
		if engine == "postgres" {
			gate = []string{`CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN IF (SELECT name FROM leads WHERE id = NEW.lead_id) = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NULL; END $$`,
				`CREATE CONSTRAINT TRIGGER gate AFTER INSERT ON jobs DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gate()`}
		}
		for _, q := range gate {
			if _, err := write.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		boom := func(in store.Intake) store.Intake { in.Input.Name = ptr("boom"); return in }

		ins := []store.Intake{f.intake("79990000001", ""), boom(f.intake("79990000002", "")), f.intake("79990000003", "")}
		outs, errs := createGroup(t, f.s, ins)
		if errs[1] == nil || !strings.Contains(errs[1].Error(), "boom") {
			t.Fatalf("the lead whose event cannot commit: %v", errs[1])
		}
		if errs[0] != nil || errs[2] != nil {
			t.Fatalf("the rest of the group: %v, %v", errs[0], errs[2])
		}
		if _, err := f.s.CreateLead(ctx, boom(f.intake("79990000004", ""))); err == nil {
			t.Fatal("a lone webhook lead was stored though its event failed")
		}
		in := contact("79990000005", "")
		in.Name = ptr("boom")
		if _, err := f.s.AddLead(ctx, store.NewLead{AccountID: f.acc.ID, Input: in}); err == nil {
			t.Fatal("an API lead was stored though its event failed")
		}
		d := f.quarantine(t, "79990000006")
		_, err := f.s.ReprocessDelivery(ctx, f.acc.ID, f.src.ID, d.ID, nil,
			func(lead.Source, lead.Delivery) (store.Reprocessed, error) {
				in := contact("79990000006", "")
				in.Name = ptr("boom")
				return store.Reprocessed{Input: in, Render: render}, nil
			})
		if err == nil {
			t.Fatal("a re-processed lead was stored though its event failed")
		}
		if q, err := f.s.QuarantinedDeliveries(ctx, f.acc.ID, f.src.ID, 0, 10); err != nil || len(q) != 1 {
			t.Fatalf("the delivery whose re-processing failed is no longer quarantined: %v, %d", err, len(q))
		}

		if n := f.count(t); n != 2 {
			t.Errorf("%d leads stored, want the 2 whose events committed", n)
		}
		evs := f.queued(t)
		stored := []int64{outs[0].Lead.ID, outs[2].Lead.ID}
		slices.Sort(stored)
		if len(evs) != 2 || evs[0].lead != stored[0] || evs[1].lead != stored[1] {
			t.Errorf("events %v, want one for each of leads %v", evs, stored)
		}
		for _, id := range []int64{outs[0].Lead.ID, outs[2].Lead.ID} {
			if _, err := f.s.GetLead(ctx, f.acc.ID, id); err != nil {
				t.Errorf("lead %d: %v", id, err)
			}
		}
		if err := f.s.DeleteLead(ctx, f.acc.ID, nil, stored[0]); err != nil {
			t.Fatal(err)
		}
		if got := f.queued(t); len(got) != 3 || got[1].kind != jobs.LeadDeleted {
			t.Errorf("after a delete: %v", got)
		}
	})
}
