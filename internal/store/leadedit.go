package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"leadbox/internal/jobs"
	"leadbox/internal/lead"
)

// LeadPatch is a partial update of a lead: the fields named in Present take
// their values from Input (nil clears them); the others stay.
type LeadPatch struct {
	Input   lead.Input
	Present []string
}

// NewLead is a lead a user or an integration creates directly, not through a
// webhook.
type NewLead struct {
	AccountID int64
	UserID    *int64 // who creates it, if a person
	Input     lead.Input
	Via       string // how, for its lead.created event: "api" (the default), "manual", "import"
}

// AddLead creates a lead outside the webhook: same references, duplicate
// rules and answer, no delivery-log row, through the same pipeline.
func (s *Store) AddLead(ctx context.Context, n NewLead) (lead.Lead, error) {
	via := n.Via
	if !isWord(via) {
		via = "api"
	}
	out, err := s.create(ctx, creation{account: n.AccountID, input: n.Input,
		createdBy: n.UserID, actor: n.UserID, action: "create", via: via})
	return out.Lead, err
}

// isWord reports whether s is a short lower-case ASCII word, fit to be
// written into an event's JSON as it is.
func isWord(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func emailKeyOf(email *string) *string {
	if email == nil {
		return nil
	}
	k := strings.ToLower(strings.TrimSpace(*email))
	return &k
}

// UpdateLead changes the fields a patch names, checks the result by the
// webhook's rules, and records who changed what.
func (s *Store) UpdateLead(ctx context.Context, accountID int64, userID *int64, id int64, p LeadPatch) (lead.Lead, error) {
	var l lead.Lead
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		l, _, err = s.updateLeadTx(ctx, tx, accountID, userID, id, p)
		return err
	})
	if err == nil {
		s.signalJobs()
	}
	return l, err
}

// updateLeadTx is UpdateLead inside a transaction; changed is false when the
// patch left the lead as it was (then nothing is written).
func (s *Store) updateLeadTx(ctx context.Context, tx *sql.Tx, accountID int64, userID *int64, id int64, p LeadPatch) (lead.Lead, bool, error) {
	l, err := lockLead(ctx, tx, s.dialect, accountID, id)
	if err != nil {
		return l, false, err
	}
	cur := l.Input()
	changes := map[string][2]any{}
	for _, name := range p.Present {
		f := lead.FieldByName(name)
		if f == nil {
			continue
		}
		if old, new := fieldValue(f, &cur), fieldValue(f, &p.Input); !reflect.DeepEqual(old, new) {
			changes[name] = [2]any{old, new}
			setField(f, &cur, &p.Input)
		}
	}
	if len(changes) == 0 {
		return l, false, nil
	}
	if cur.Phone == nil && cur.Email == nil {
		return l, false, lead.Invalid("phone", lead.MsgRequired)
	}
	probe := lead.Lead{AccountID: accountID}
	probe.SetInput(onlyChanged(cur, changes))
	if err := checkRefs(ctx, tx, &probe); err != nil {
		return l, false, err
	}
	now := s.now().Unix()
	l.SetInput(cur)
	l.UserIDUpdate, l.DtUpdate = userID, now
	if err := writeLead(ctx, tx, &l); err != nil {
		return l, false, err
	}
	return l, true, s.recordChange(ctx, tx, accountID, id, userID, now, "update", changes)
}

// onlyChanged returns in with every reference the patch did not change
// cleared, so only new references are checked (an old one may have gone
// stale, and that must not block an unrelated edit).
func onlyChanged(in lead.Input, changes map[string][2]any) lead.Input {
	var out lead.Input
	for name := range changes {
		if f := lead.FieldByName(name); f != nil {
			setField(f, &out, &in)
		}
	}
	return out
}

func fieldValue(f *lead.Field, in *lead.Input) any {
	if f.Kind == lead.KindInt {
		if v := *f.Int(in); v != nil {
			return *v
		}
		return nil
	}
	if v := *f.String(in); v != nil {
		return *v
	}
	return nil
}

// setField copies field f from src to dst.
func setField(f *lead.Field, dst, src *lead.Input) {
	if f.Kind == lead.KindInt {
		*f.Int(dst) = *f.Int(src)
	} else {
		*f.String(dst) = *f.String(src)
	}
}

// lockLead reads a lead for update.
func lockLead(ctx context.Context, tx *sql.Tx, d dialect, accountID, id int64) (lead.Lead, error) {
	q := "SELECT " + leadColumns + " FROM leads WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL"
	if d.name == "postgres" {
		q += " FOR UPDATE"
	}
	l, err := scanLead(tx.QueryRowContext(ctx, q, id, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return l, notFound("lead")
	}
	if err != nil {
		return l, fmt.Errorf("read lead %d: %w", id, err)
	}
	return l, nil
}

// writeLead saves every changeable column of l.
func writeLead(ctx context.Context, tx *sql.Tx, l *lead.Lead) error {
	marks := l.Marks()
	args := []any{l.Name, nameKey(l.Name), l.SourceID, l.ClientID, l.Phone, l.Email, emailKeyOf(l.Email),
		l.NotAnswer, l.UserIDUpdate, l.DtUpdate, l.DtNotAnswer, l.LocationUnitID, l.LocationCityID,
		l.FunnelStageID, l.UserIDOwner, l.Cost, l.RemoteID}
	for _, m := range marks.List() {
		args = append(args, *m)
	}
	args = append(args, l.ID, l.AccountID)
	_, err := tx.ExecContext(ctx, `UPDATE leads SET name = $1, name_key = $2, source_id = $3, client_id = $4,
		phone = $5, email = $6, email_key = $7, not_answer = $8, user_id_update = $9, dt_update = $10,
		dt_not_answer = $11, location_unit_id = $12, location_city_id = $13, funnel_stage_id = $14,
		user_id_owner = $15, cost = $16, remote_id = $17,
		utm_source = $18, utm_medium = $19, utm_campaign = $20, utm_content = $21, utm_term = $22, utm_referrer = $23,
		openstat_service = $24, openstat_campaign = $25, openstat_ad = $26, openstat_source = $27,
		from_tag = $28, yclid = $29, ymclid = $30, ym_client_id = $31, gclid = $32, yqrid = $33, fbclid = $34,
		roistat_id = $35, referrer = $36, ip = $37
		WHERE id = $38 AND account_id = $39`, args...)
	if err != nil {
		return fmt.Errorf("update lead %d: %w", l.ID, err)
	}
	return nil
}

// MarkNoAnswer records that a manager called and nobody answered.
func (s *Store) MarkNoAnswer(ctx context.Context, accountID int64, userID *int64, id int64) (lead.Lead, error) {
	return s.editLead(ctx, accountID, userID, id, "noAnswer", func(_ *sql.Tx, l *lead.Lead, now int64) (map[string][2]any, error) {
		oldNot, oldAt := l.NotAnswer, l.DtNotAnswer
		yes := true
		l.NotAnswer, l.DtNotAnswer = &yes, &now
		return map[string][2]any{"notAnswer": {deref(oldNot), true}, "dtNotAnswer": {deref(oldAt), now}}, nil
	})
}

// SetLeadClient links the lead to a client of the account, or unlinks it
// when clientID is nil.
func (s *Store) SetLeadClient(ctx context.Context, accountID int64, userID *int64, id int64, clientID *int64) (lead.Lead, error) {
	return s.editLead(ctx, accountID, userID, id, "client", func(tx *sql.Tx, l *lead.Lead, now int64) (map[string][2]any, error) {
		if clientID != nil {
			if err := clientExists(ctx, tx, accountID, *clientID); err != nil {
				return nil, err
			}
		}
		old := l.ClientID
		l.ClientID = clientID
		return map[string][2]any{"clientId": {deref(old), deref(clientID)}}, nil
	})
}

// DeleteLead hides a lead from every list and lookup; it stays in the
// database, with its history, for the record.
func (s *Store) DeleteLead(ctx context.Context, accountID int64, userID *int64, id int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return s.deleteLeadTx(ctx, tx, accountID, userID, id)
	})
	if err == nil {
		s.signalJobs()
	}
	return err
}

// deleteLeadTx is DeleteLead inside a transaction.
func (s *Store) deleteLeadTx(ctx context.Context, tx *sql.Tx, accountID int64, userID *int64, id int64) error {
	now := s.now().Unix()
	res, err := tx.ExecContext(ctx, "UPDATE leads SET deleted_at = $1 WHERE id = $2 AND account_id = $3 AND deleted_at IS NULL",
		now, id, accountID)
	if err != nil {
		return fmt.Errorf("delete lead: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("lead")
	}
	return s.recordChange(ctx, tx, accountID, id, userID, now, "delete", nil)
}

// editLead runs one change on a lead in a transaction, then saves it with
// the user and time of the change and a history entry.
func (s *Store) editLead(ctx context.Context, accountID int64, userID *int64, id int64, action string,
	change func(tx *sql.Tx, l *lead.Lead, now int64) (map[string][2]any, error)) (lead.Lead, error) {
	var l lead.Lead
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if l, err = lockLead(ctx, tx, s.dialect, accountID, id); err != nil {
			return err
		}
		now := s.now().Unix()
		changes, err := change(tx, &l, now)
		if err != nil {
			return err
		}
		l.UserIDUpdate, l.DtUpdate = userID, now
		if err := writeLead(ctx, tx, &l); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, accountID, id, userID, now, action, changes)
	})
	if err == nil {
		s.signalJobs()
	}
	return l, err
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// eventColumns are the columns of a lead's history entry that eventArgs
// gives values for.
const eventColumns = "account_id, lead_id, user_id, created_at, action, changes"

// eventArgs returns the values of eventColumns for one history entry;
// changes maps each field changed to its old and new value.
func eventArgs(accountID, leadID int64, userID *int64, at int64, action string, changes map[string][2]any) ([]any, error) {
	if changes == nil {
		changes = map[string][2]any{}
	}
	b, err := json.Marshal(changes)
	if err != nil {
		return nil, fmt.Errorf("lead event: %w", err)
	}
	return []any{accountID, leadID, userID, at, action, string(b)}, nil
}

// recordChange writes what an edit did to a lead, in the edit's
// transaction: the entry of the lead's history, and the event for the job
// queue — lead.deleted for a delete, lead.updated for every other change.
// Every edit of a lead goes through here, deleting the client it is
// linked to included.
func (s *Store) recordChange(ctx context.Context, tx *sql.Tx, accountID, leadID int64, userID *int64, at int64, action string,
	changes map[string][2]any) error {
	args, err := eventArgs(accountID, leadID, userID, at, action, changes)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO lead_events (`+eventColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`, args...); err != nil {
		return fmt.Errorf("lead event: %w", err)
	}
	kind, changed := jobs.LeadUpdated, args[5].(string)
	if action == "delete" {
		kind, changed = jobs.LeadDeleted, ""
	}
	now := s.now()
	_, err = insertJob(ctx, tx, &jobs.Job{Kind: kind, AccountID: &accountID, LeadID: &leadID, MaxAttempts: jobs.MaxAttempts,
		RunAt: now, CreatedAt: now, Payload: []byte(leadEventPayload(leadID, "action", action, userID, changed))})
	return err
}

// LeadEvents returns a lead's history, oldest first.
func (s *Store) LeadEvents(ctx context.Context, accountID, leadID int64) ([]lead.Event, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, lead_id, user_id, created_at, action, changes FROM lead_events
		WHERE lead_id = $1 AND account_id = $2 ORDER BY id`, leadID, accountID)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("lead events: %w", err))
	}
	defer rows.Close()
	out := []lead.Event{}
	for rows.Next() {
		var e lead.Event
		var changes string
		if err := rows.Scan(&e.ID, &e.LeadID, &e.UserID, &e.At, &e.Action, &changes); err != nil {
			return nil, s.wrap(err)
		}
		if err := json.Unmarshal([]byte(changes), &e.Changes); err != nil {
			return nil, fmt.Errorf("lead event %d: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, s.wrap(rows.Err())
}
