package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"leadbox/internal/lead"
)

// leadColumns lists the leads table's columns in the order scanLead reads
// them. The marks come in lead.Marks.List order.
const leadColumns = `id, account_id, first_id, other_count, name, source_id, client_id, phone, email,
	not_answer, user_id_create, user_id_update, dt_create, dt_update, dt_not_answer,
	location_unit_id, location_city_id, funnel_stage_id, user_id_owner, cost, remote_id,
	utm_source, utm_medium, utm_campaign, utm_content, utm_term, utm_referrer,
	openstat_service, openstat_campaign, openstat_ad, openstat_source,
	from_tag, yclid, ymclid, ym_client_id, gclid, yqrid, fbclid, roistat_id, referrer, ip,
	extra, delivery_id`

// leadInsertColumns are the columns insertLead writes: leadColumns without
// id, with email_key after email.
const leadInsertColumns = `account_id, first_id, other_count, name, source_id, client_id, phone, email, email_key,
	not_answer, user_id_create, user_id_update, dt_create, dt_update, dt_not_answer,
	location_unit_id, location_city_id, funnel_stage_id, user_id_owner, cost, remote_id,
	utm_source, utm_medium, utm_campaign, utm_content, utm_term, utm_referrer,
	openstat_service, openstat_campaign, openstat_ad, openstat_source,
	from_tag, yclid, ymclid, ym_client_id, gclid, yqrid, fbclid, roistat_id, referrer, ip,
	extra, delivery_id, name_key`

type scanner interface{ Scan(dest ...any) error }

func scanLead(row scanner) (lead.Lead, error) {
	var l lead.Lead
	var extra sql.NullString
	var marks lead.Marks
	dest := []any{&l.ID, &l.AccountID, &l.FirstID, &l.OtherCount, &l.Name, &l.SourceID, &l.ClientID, &l.Phone, &l.Email,
		&l.NotAnswer, &l.UserIDCreate, &l.UserIDUpdate, &l.DtCreate, &l.DtUpdate, &l.DtNotAnswer,
		&l.LocationUnitID, &l.LocationCityID, &l.FunnelStageID, &l.UserIDOwner, &l.Cost, &l.RemoteID}
	for _, m := range marks.List() {
		dest = append(dest, m)
	}
	dest = append(dest, &extra, &l.DeliveryID)
	if err := row.Scan(dest...); err != nil {
		return l, err
	}
	l.SetMarks(marks)
	if extra.Valid {
		l.Extra = json.RawMessage(extra.String)
	}
	return l, nil
}

// GetLead returns one lead of the account.
func (s *Store) GetLead(ctx context.Context, accountID, id int64) (lead.Lead, error) {
	row := s.read.QueryRowContext(ctx, "SELECT "+leadColumns+" FROM leads WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL", id, accountID)
	l, err := scanLead(row)
	if errors.Is(err, sql.ErrNoRows) {
		return l, notFound("lead")
	}
	if err != nil {
		return l, s.wrap(fmt.Errorf("get lead %d: %w", id, err))
	}
	return l, nil
}

// LeadRaw returns the raw request a lead came from, as its delivery keeps it.
func (s *Store) LeadRaw(ctx context.Context, accountID, id int64) ([]byte, error) {
	var body []byte
	err := s.read.QueryRowContext(ctx, `SELECT d.body FROM leads l JOIN deliveries d ON d.id = l.delivery_id
		WHERE l.id = $1 AND l.account_id = $2 AND l.deleted_at IS NULL`, id, accountID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("lead")
	}
	if err != nil {
		return nil, s.wrap(fmt.Errorf("lead raw %d: %w", id, err))
	}
	return body, nil
}

// CountLeads returns how many leads the account has.
func (s *Store) CountLeads(ctx context.Context, accountID int64) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM leads WHERE account_id = $1 AND deleted_at IS NULL", accountID).Scan(&n)
	return n, s.wrap(err)
}

// refTables maps each reference field of a lead to the table it names.
var refTables = map[string]string{
	"userIdOwner":    "users",
	"sourceId":       "sources",
	"locationUnitId": "offices",
	"locationCityId": "cities",
	"funnelStageId":  "funnel_stages",
}

// refExists reports whether id names a row of the account in field's table;
// an owner must also be an active user.
func refExists(ctx context.Context, tx dbtx, field string, accountID, id int64) (bool, error) {
	q, args := refQuery(field, accountID, id)
	var n int
	if err := tx.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return false, fmt.Errorf("check %s: %w", field, err)
	}
	return n > 0, nil
}

// refQuery is refExists's statement, which counts the matching rows.
func refQuery(field string, accountID, id int64) (string, []any) {
	q := "SELECT count(*) FROM " + refTables[field] + " WHERE id = $1 AND account_id = $2"
	args := []any{id, accountID}
	if field == "userIdOwner" {
		q += " AND active = $3"
		args = append(args, true)
	}
	return q, args
}

// refLookup reports whether id names a usable row of the account in field's
// table: refExists inside an edit's transaction, or the answers the lead
// pipeline fetched for its whole group at once.
type refLookup func(field string, accountID, id int64) (bool, error)

// leadRefs lists a lead's reference fields in the order errors name them.
func leadRefs(l *lead.Lead) []struct {
	field string
	id    **int64
} {
	return []struct {
		field string
		id    **int64
	}{
		{"userIdOwner", &l.UserIDOwner}, {"sourceId", &l.SourceID}, {"locationUnitId", &l.LocationUnitID},
		{"locationCityId", &l.LocationCityID}, {"funnelStageId", &l.FunnelStageID},
	}
}

// checkRefs confirms that every id the lead names belongs to the account,
// adding a message per field that does not.
func checkRefs(ctx context.Context, tx dbtx, l *lead.Lead) error {
	return checkRefsWith(l, func(field string, accountID, id int64) (bool, error) {
		return refExists(ctx, tx, field, accountID, id)
	})
}

func checkRefsWith(l *lead.Lead, exists refLookup) error {
	var bad *lead.Error
	for _, r := range leadRefs(l) {
		if *r.id == nil {
			continue
		}
		ok, err := exists(r.field, l.AccountID, **r.id)
		if err != nil {
			return err
		}
		if !ok {
			if bad == nil {
				bad = &lead.Error{Code: lead.EInvalid}
			}
			bad.AddField(r.field, lead.MsgExists)
		}
	}
	if bad != nil {
		return bad
	}
	return nil
}

// sourceDefaults maps each reference field to the source's default for it;
// a lead without a source has none.
func sourceDefaults(src *lead.Source) map[string]*int64 {
	if src == nil {
		return nil
	}
	return map[string]*int64{
		"userIdOwner": src.DefaultOwnerID, "sourceId": &src.ID, "locationUnitId": src.DefaultUnitID,
		"locationCityId": src.DefaultCityID, "funnelStageId": src.DefaultStageID,
	}
}

// applyDefaultsWith fills the reference fields the sender left out from the
// source's defaults. A default that no longer holds (its owner was
// deactivated, say) is skipped: it is the account's mistake, and must not
// cost the sender its lead.
func applyDefaultsWith(l *lead.Lead, src lead.Source, exists refLookup) error {
	defaults := sourceDefaults(&src)
	for _, r := range leadRefs(l) {
		def := defaults[r.field]
		if *r.id != nil || def == nil {
			continue
		}
		ok, err := exists(r.field, l.AccountID, *def)
		if err != nil {
			return err
		}
		if ok {
			v := *def
			*r.id = &v
		}
	}
	return nil
}

// nameKey is the lower-cased name that name search matches.
func nameKey(name *string) *string {
	if name == nil {
		return nil
	}
	k := strings.ToLower(*name)
	return &k
}

// leadInsertWidth is the number of leadInsertColumns.
var leadInsertWidth = len(strings.Split(leadInsertColumns, ","))

// appendLeadArgs appends the values of leadInsertColumns for l to args.
func appendLeadArgs(args []any, l *lead.Lead, emailKey *string) []any {
	marks := l.Marks()
	var extra *string
	if len(l.Extra) > 0 {
		e := string(l.Extra)
		extra = &e
	}
	args = append(args, l.AccountID, l.FirstID, l.OtherCount, l.Name, l.SourceID, l.ClientID, l.Phone, l.Email, emailKey,
		l.NotAnswer, l.UserIDCreate, l.UserIDUpdate, l.DtCreate, l.DtUpdate, l.DtNotAnswer,
		l.LocationUnitID, l.LocationCityID, l.FunnelStageID, l.UserIDOwner, l.Cost, l.RemoteID)
	for _, m := range marks.List() {
		args = append(args, *m)
	}
	return append(args, extra, l.DeliveryID, nameKey(l.Name))
}
