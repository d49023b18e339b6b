package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"leadbox/internal/lead"
)

// Erasing a person's data (152-FZ). Erase finds every lead of the account
// that holds the subject's phone or email — now, in the raw request it came
// in, or in its history — and, in one transaction, blanks the personal
// columns of those leads and of their clients, the raw requests of the
// delivery log that hold them, the answers kept for Idempotency-Key
// retries, the old values in the leads' history and queued events, the
// texts of their notes and tasks, and spreadsheets waiting for import. Ids,
// times, stages, sources, UTM marks and counts stay. Then the engine's own
// copies are cleared (purge): on SQLite the transaction runs with
// secure_delete, the search index is merged and the WAL truncated; on
// PostgreSQL the touched tables are vacuumed.

// EraseRequest names whose data to erase and why.
type EraseRequest struct {
	AccountID int64
	UserID    *int64 // the administrator, when a user of the account asked
	Actor     string // who, as the record shows it: a user's name and email, an API token, the CLI
	Phone     string // normalised as the webhook does (intake's NormalizePhone); "" for none
	Email     string // "" for none
	Reason    string // the basis: the subject's request, a withdrawn consent, …
	DryRun    bool   // count, change nothing
}

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

// erasedColumns are the personal columns of a lead besides its name and
// contacts: the keys the sender sent beyond the fields, the visitor's IP and
// page, and the identifiers ad and analytics systems give one visitor. UTM
// and Openstat marks name campaigns, not people, and stay.
var erasedColumns = []string{"extra", "ip", "referrer", "yclid", "ymclid", "ym_client_id", "gclid", "yqrid", "fbclid", "roistat_id"}

// personalFields are the names under which the history and event payloads
// hold a lead's personal values (lead.Lead's JSON names).
var personalFields = map[string]bool{"name": true, "phone": true, "email": true, "extra": true, "ip": true,
	"referrer": true, "yclid": true, "ymclid": true, "ymClientId": true, "gclid": true, "yqrid": true, "fbclid": true, "roistatId": true}

// Erase erases the personal data of the subject r names, or with DryRun
// counts what it would erase.
func (s *Store) Erase(ctx context.Context, r EraseRequest) (lead.Erasure, error) {
	r.Reason = strings.TrimSpace(r.Reason)
	r.Email = strings.ToLower(strings.TrimSpace(r.Email))
	switch {
	case r.Phone == "" && r.Email == "":
		return lead.Erasure{}, lead.Errorf(lead.EInvalid, "phone", lead.MsgErasureSelector)
	case r.Reason == "":
		return lead.Erasure{}, lead.Errorf(lead.EInvalid, "reason", lead.MsgRequired, "Основание")
	case !utf8.ValidString(r.Reason):
		return lead.Erasure{}, lead.Errorf(lead.EInvalid, "reason", lead.MsgString, "Основание")
	case utf8.RuneCountInString(r.Reason) > lead.MaxErasureReason:
		return lead.Erasure{}, lead.Errorf(lead.EInvalid, "reason", lead.MsgMax, "Основание", lead.MaxErasureReason)
	}
	m := newMatcher(r.Phone, r.Email)
	// The delivery log is read outside the transaction: it is the long part,
	// and the leads' own requests are found again inside it.
	held, err := s.deliveriesHolding(ctx, r.AccountID, m)
	if err != nil {
		return lead.Erasure{}, s.wrap(fmt.Errorf("erase: %w", err))
	}
	noted, err := s.textsHolding(ctx, r.AccountID, m)
	if err != nil {
		return lead.Erasure{}, s.wrap(fmt.Errorf("erase: %w", err))
	}
	e := lead.Erasure{AccountID: r.AccountID, UserID: r.UserID, Actor: r.Actor, Kind: lead.ErasureSubject,
		Reason: r.Reason, DryRun: r.DryRun}
	err = s.eraseTx(ctx, func(tx *sql.Tx) error {
		e.Counts, e.LeadIDs = lead.ErasureCounts{}, nil
		return s.eraseSubject(ctx, tx, r, m, held, noted, &e)
	})
	if errors.Is(err, errDryRun) {
		return e, nil
	}
	if err != nil {
		return e, s.wrap(fmt.Errorf("erase: %w", err))
	}
	e.Purged = s.purgeAfter(ctx, e.ID)
	return e, nil
}

// eraseSubject is Erase's transaction.
func (s *Store) eraseSubject(ctx context.Context, tx *sql.Tx, r EraseRequest, m *matcher, held, noted []int64, e *lead.Erasure) error {
	var phone, email *string
	if r.Phone != "" {
		phone = &r.Phone
	}
	if r.Email != "" {
		email = &r.Email
	}
	if s.dialect.name == "postgres" {
		// The pipeline takes the same locks before it looks a contact up: a
		// lead with the contact commits either before (and is erased) or after.
		keys := contactKeys(r.AccountID, phone, email)
		slices.Sort(keys)
		if _, err := tx.ExecContext(ctx, pgLockSQL, keys); err != nil {
			return err
		}
	}
	own, came, err := s.subjectLeads(ctx, tx, r.AccountID, phone, email, held, m)
	if err != nil {
		return err
	}
	// A lead that only came in a request holding the subject's data, or has
	// a note or task that does, with contacts and history of its own, is
	// another person's that mentions the subject (a comment: call my
	// husband on …): only what holds the subject goes from it.
	mentions := slices.DeleteFunc(union(came, noted), func(id int64) bool { _, found := slices.BinarySearch(own, id); return found })
	leads := union(own, mentions)
	e.LeadIDs = nonNil(leads)
	deliveries, err := idList(ctx, tx, "SELECT delivery_id FROM leads WHERE account_id = $1 AND delivery_id IS NOT NULL AND "+
		s.in("id", 2), r.AccountID, s.dialect.idsArg(leads))
	if err != nil {
		return err
	}
	deliveries = union(deliveries, held)
	clients, err := idList(ctx, tx, "SELECT client_id FROM leads WHERE account_id = $1 AND client_id IS NOT NULL AND "+
		s.in("id", 2)+" UNION SELECT id FROM clients WHERE account_id = $1 AND (phone = $3 OR lower(email) = $4)",
		r.AccountID, s.dialect.idsArg(own), phone, email)
	if err != nil {
		return err
	}
	// The values the history may hold besides the contacts named: the
	// leads' and clients' own names and contacts.
	if err := m.learn(ctx, tx, s.dialect, r.AccountID, own, clients); err != nil {
		return err
	}
	now := s.now().Unix()
	if !r.DryRun {
		if e.PhoneHash, e.EmailHash, err = s.subjectHashes(ctx, tx, r.AccountID, r.Phone, r.Email); err != nil {
			return err
		}
	}
	x := eraser{s: s, tx: tx, account: r.AccountID, m: m, now: now, dry: r.DryRun, counts: &e.Counts}
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return x.leads(ctx, own) },
		func(ctx context.Context) error { return x.mentions(ctx, mentions) },
		func(ctx context.Context) error { return x.clients(ctx, clients) },
		func(ctx context.Context) error { return x.deliveries(ctx, deliveries) },
		func(ctx context.Context) error { return x.history(ctx, own, false) },
		func(ctx context.Context) error { return x.history(ctx, mentions, true) },
		func(ctx context.Context) error { return x.texts(ctx, own) },
		func(ctx context.Context) error { return x.mentionTexts(ctx, mentions) },
		func(ctx context.Context) error { return x.importFiles(ctx) },
		func(ctx context.Context) error { return x.savedFilters(ctx) },
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	if r.DryRun {
		return errDryRun
	}
	// The erasure in each lead's history, and its event for integrations
	// that keep copies of the lead.
	for _, id := range leads {
		if err := s.recordChange(ctx, tx, r.AccountID, id, r.UserID, now, "erase", map[string][2]any{}); err != nil {
			return err
		}
	}
	e.Created = now
	return insertErasure(ctx, tx, e)
}

// subjectLeads returns the ids of the account's leads that hold the
// contacts now or in their history (an edited lead had them once), and of
// those that came in a request that held them (held), deleted leads
// included.
func (s *Store) subjectLeads(ctx context.Context, tx *sql.Tx, accountID int64, phone, email *string, held []int64, m *matcher) (own, came []int64, err error) {
	now, err := idList(ctx, tx, "SELECT id FROM leads WHERE account_id = $1 AND (phone = $2 OR email_key = $3)", accountID, phone, email)
	if err != nil {
		return nil, nil, err
	}
	came, err = idList(ctx, tx, "SELECT id FROM leads WHERE account_id = $1 AND "+s.in("delivery_id", 2), accountID, s.dialect.idsArg(held))
	if err != nil {
		return nil, nil, err
	}
	var conds []string
	args := []any{accountID}
	if phone != nil {
		args = append(args, "%"+escapeLike(*phone)+"%")
		conds = append(conds, fmt.Sprintf(`changes LIKE $%d ESCAPE '\'`, len(args)))
	}
	if email != nil {
		args = append(args, "%"+escapeLike(*email)+"%")
		conds = append(conds, fmt.Sprintf(`lower(changes) LIKE $%d ESCAPE '\'`, len(args)))
	}
	// LIKE finds the entries holding the contacts as a part of anything;
	// the matcher keeps those holding them as a whole (not an email ending
	// with the subject's, nor a longer number).
	rows, err := tx.QueryContext(ctx, "SELECT lead_id, changes FROM lead_events WHERE account_id = $1 AND ("+strings.Join(conds, " OR ")+")", args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var had []int64
	for rows.Next() {
		var id int64
		var changes string
		if err := rows.Scan(&id, &changes); err != nil {
			return nil, nil, err
		}
		if m.holds([]byte(changes)) {
			had = append(had, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return union(now, had), came, nil
}

// eraser carries out an erasure's steps in its transaction, counting rows;
// a dry run counts and changes nothing (the transaction is rolled back).
type eraser struct {
	s       *Store
	tx      *sql.Tx
	account int64
	m       *matcher
	now     int64
	dry     bool
	counts  *lead.ErasureCounts
}

// exec runs q and returns the rows it changed.
func (x *eraser) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := x.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (x *eraser) leads(ctx context.Context, ids []int64) error {
	set := "name = $1, name_key = $2, phone = NULL, email = NULL, email_key = NULL"
	for _, c := range erasedColumns {
		set += ", " + c + " = NULL"
	}
	n, err := x.exec(ctx, "UPDATE leads SET "+set+" WHERE account_id = $3 AND "+x.s.in("id", 4),
		lead.ErasedText, strings.ToLower(lead.ErasedText), x.account, x.s.dialect.idsArg(ids))
	x.counts.Leads = n
	return err
}

// mentions erases what holds the subject from other people's leads that
// came in a request holding it: the name, the extra keys or the page,
// whichever holds it; their own contacts stay.
func (x *eraser) mentions(ctx context.Context, ids []int64) error {
	rows, err := x.tx.QueryContext(ctx, "SELECT id, coalesce(name, ''), coalesce(extra, ''), coalesce(referrer, '') FROM leads WHERE account_id = $1 AND "+
		x.s.in("id", 2), x.account, x.s.dialect.idsArg(ids))
	if err != nil {
		return err
	}
	type change struct {
		id                    int64
		name, extra, referrer bool
	}
	var changes []change
	for rows.Next() {
		var c change
		var name, extra, referrer string
		if err := rows.Scan(&c.id, &name, &extra, &referrer); err != nil {
			rows.Close()
			return err
		}
		c.name, c.extra, c.referrer = x.m.holds([]byte(name)), x.m.holds([]byte(extra)), x.m.holds([]byte(referrer))
		if c.name || c.extra || c.referrer {
			changes = append(changes, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range changes {
		set := []string{"dt_update = dt_update"}
		args := []any{c.id, x.account}
		if c.name {
			args = append(args, lead.ErasedText, strings.ToLower(lead.ErasedText))
			set = append(set, fmt.Sprintf("name = $%d, name_key = $%d", len(args)-1, len(args)))
		}
		if c.extra {
			set = append(set, "extra = NULL")
		}
		if c.referrer {
			set = append(set, "referrer = NULL")
		}
		if _, err := x.exec(ctx, "UPDATE leads SET "+strings.Join(set, ", ")+" WHERE id = $1 AND account_id = $2", args...); err != nil {
			return err
		}
		x.counts.Leads++
	}
	return nil
}

// mentionTexts erases the notes and tasks on other people's leads that
// mention the subject.
func (x *eraser) mentionTexts(ctx context.Context, leads []int64) error {
	for _, t := range []struct {
		table string
		count *int64
	}{{"lead_notes", &x.counts.Notes}, {"tasks", &x.counts.Tasks}} {
		rows, err := x.tx.QueryContext(ctx, "SELECT id, text FROM "+t.table+" WHERE account_id = $1 AND "+x.s.in("lead_id", 2),
			x.account, x.s.dialect.idsArg(leads))
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			var text string
			if err := rows.Scan(&id, &text); err != nil {
				rows.Close()
				return err
			}
			if x.m.holds([]byte(text)) {
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		n, err := x.exec(ctx, "UPDATE "+t.table+" SET text = $1 WHERE account_id = $2 AND "+x.s.in("id", 3),
			lead.ErasedText, x.account, x.s.dialect.idsArg(ids))
		if err != nil {
			return err
		}
		*t.count += n
	}
	return nil
}

func (x *eraser) clients(ctx context.Context, ids []int64) error {
	n, err := x.exec(ctx, "UPDATE clients SET name = $1, phone = NULL, email = NULL WHERE account_id = $2 AND "+x.s.in("id", 3),
		lead.ErasedText, x.account, x.s.dialect.idsArg(ids))
	x.counts.Clients = n
	return err
}

// deliveries blanks the raw requests and what was read from them, and the
// answers kept for their Idempotency-Keys: a retry of a request that made
// a lead gets the erased lead; other kept answers are dropped.
func (x *eraser) deliveries(ctx context.Context, ids []int64) error {
	rows, err := x.tx.QueryContext(ctx, `SELECT d.id, d.source_id, d.idempotency_key, coalesce(d.errors, ''), l.id
		FROM deliveries d LEFT JOIN leads l ON l.delivery_id = d.id
		WHERE d.account_id = $1 AND `+x.s.in("d.id", 2), x.account, x.s.dialect.idsArg(ids))
	if err != nil {
		return err
	}
	// The Idempotency-Keys of the requests, each once: a retry that was
	// answered from the stored answer has the key but no lead of its own.
	type idemKey struct {
		source int64
		key    string
	}
	type keyed struct {
		lead *int64
		drop bool // the key itself holds the subject's data
	}
	keys := map[idemKey]*keyed{}
	var order []idemKey
	var badErrors, badKeys []int64
	for rows.Next() {
		var id, source int64
		var key *string
		var errs string
		var leadID *int64
		if err := rows.Scan(&id, &source, &key, &errs, &leadID); err != nil {
			rows.Close()
			return err
		}
		if x.m.holds([]byte(errs)) {
			badErrors = append(badErrors, id)
		}
		if key == nil {
			continue
		}
		k := idemKey{source, *key}
		kd := keys[k]
		if kd == nil {
			kd = &keyed{drop: x.m.holds([]byte(*key))}
			keys[k] = kd
			order = append(order, k)
		}
		if leadID != nil {
			kd.lead = leadID
		}
		if kd.drop {
			badKeys = append(badKeys, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	n, err := x.exec(ctx, `UPDATE deliveries SET body = $1, query = '', mapped = NULL, remote_addr = '', notes = '', erased_at = $2
		WHERE account_id = $3 AND `+x.s.in("id", 4), []byte{}, x.now, x.account, x.s.dialect.idsArg(ids))
	if err != nil {
		return err
	}
	x.counts.Deliveries = n
	if _, err := x.exec(ctx, "UPDATE deliveries SET errors = NULL WHERE account_id = $1 AND "+x.s.in("id", 2),
		x.account, x.s.dialect.idsArg(badErrors)); err != nil {
		return err
	}
	if _, err := x.exec(ctx, "UPDATE deliveries SET idempotency_key = NULL WHERE account_id = $1 AND "+x.s.in("id", 2),
		x.account, x.s.dialect.idsArg(badKeys)); err != nil {
		return err
	}
	for _, k := range order {
		if n, err = x.idempotencyKey(ctx, k.source, k.key, keys[k].lead, keys[k].drop); err != nil {
			return err
		}
		x.counts.Idempotency += n
	}
	return nil
}

// idempotencyKey replaces the answer kept for a key that made a lead with
// the erased lead, and removes any other kept answer (a refusal may quote
// what was sent).
func (x *eraser) idempotencyKey(ctx context.Context, source int64, key string, leadID *int64, drop bool) (int64, error) {
	remove := func() (int64, error) {
		return x.exec(ctx, "DELETE FROM idempotency_keys WHERE source_id = $1 AND key = $2", source, key)
	}
	if leadID == nil || drop {
		return remove()
	}
	l, err := scanLead(x.tx.QueryRowContext(ctx, "SELECT "+leadColumns+" FROM leads WHERE id = $1", *leadID))
	if err != nil {
		return 0, err
	}
	// The webhook's answer (web/respond.LeadBody), of the lead as it is now.
	body, err := json.Marshal(struct {
		Data *lead.Lead `json:"data"`
	}{&l})
	if err != nil {
		return 0, err
	}
	n, err := x.exec(ctx, "UPDATE idempotency_keys SET response = $1 WHERE source_id = $2 AND key = $3 AND status = 201", body, source, key)
	if err != nil || n > 0 {
		return n, err
	}
	return remove()
}

// history replaces the personal values in the leads' history and in the
// payloads of their queued events; of other people's leads that mention the
// subject (mentions), only the values that hold it.
func (x *eraser) history(ctx context.Context, leads []int64, mentions bool) error {
	for _, t := range []struct {
		table, col string
		count      *int64
		redact     func([]byte, bool) ([]byte, bool)
	}{
		{"lead_events", "changes", &x.counts.Events, x.m.redactChanges},
		{"jobs", "payload", &x.counts.Jobs, x.m.redactPayload},
	} {
		rows, err := x.tx.QueryContext(ctx, "SELECT id, "+t.col+" FROM "+t.table+" WHERE "+x.s.in("lead_id", 1), x.s.dialect.idsArg(leads))
		if err != nil {
			return err
		}
		changed := map[int64][]byte{}
		for rows.Next() {
			var id int64
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return err
			}
			if out, ok := t.redact([]byte(v), mentions); ok {
				changed[id] = out
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for id, v := range changed {
			if _, err := x.exec(ctx, "UPDATE "+t.table+" SET "+t.col+" = $1 WHERE id = $2", string(v), id); err != nil {
				return err
			}
		}
		*t.count += int64(len(changed))
	}
	return nil
}

// texts erases the notes and tasks written on the leads: they are about the
// person.
func (x *eraser) texts(ctx context.Context, leads []int64) error {
	var err error
	if x.counts.Notes, err = x.exec(ctx, "UPDATE lead_notes SET text = $1 WHERE account_id = $2 AND text <> $1 AND "+x.s.in("lead_id", 3),
		lead.ErasedText, x.account, x.s.dialect.idsArg(leads)); err != nil {
		return err
	}
	x.counts.Tasks, err = x.exec(ctx, "UPDATE tasks SET text = $1 WHERE account_id = $2 AND text <> $1 AND "+x.s.in("lead_id", 3),
		lead.ErasedText, x.account, x.s.dialect.idsArg(leads))
	return err
}

// importFiles removes the account's spreadsheets waiting for import that
// hold the subject's contacts: kept a day at most, an import under way is
// uploaded again. Names are not looked for: a file is anyone's, and a name
// (Анна) is found inside others' (Жанна, Марианна).
func (x *eraser) importFiles(ctx context.Context) error {
	rows, err := x.tx.QueryContext(ctx, "SELECT id, data FROM import_files WHERE account_id = $1", x.account)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			rows.Close()
			return err
		}
		if x.m.contacts().holdsFile(data) {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	x.counts.ImportFiles, err = x.exec(ctx, "DELETE FROM import_files WHERE account_id = $1 AND "+x.s.in("id", 2), x.account, x.s.dialect.idsArg(ids))
	return err
}

// savedFilters removes the account's saved filters whose name or query
// holds the subject's contacts: a search for the person. The record has no
// count of them.
func (x *eraser) savedFilters(ctx context.Context) error {
	rows, err := x.tx.QueryContext(ctx, "SELECT id, name, query FROM saved_filters WHERE account_id = $1", x.account)
	if err != nil {
		return err
	}
	m := x.m.contacts()
	var ids []int64
	for rows.Next() {
		var id int64
		var name, query string
		if err := rows.Scan(&id, &name, &query); err != nil {
			rows.Close()
			return err
		}
		if m.holds([]byte(name)) || m.holds([]byte(query)) {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	_, err = x.exec(ctx, "DELETE FROM saved_filters WHERE account_id = $1 AND "+x.s.in("id", 2), x.account, x.s.dialect.idsArg(ids))
	return err
}

// subjectHashes returns the keyed hashes of the phone and email, making
// the account's key at its first erasure.
func (s *Store) subjectHashes(ctx context.Context, tx *sql.Tx, accountID int64, phone, email string) (string, string, error) {
	var key string
	if err := tx.QueryRowContext(ctx, "SELECT erasure_key FROM accounts WHERE id = $1", accountID).Scan(&key); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", "", notFound("account")
		}
		return "", "", err
	}
	if key == "" {
		b := make([]byte, 32)
		rand.Read(b)
		key = hex.EncodeToString(b)
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET erasure_key = $1 WHERE id = $2", key, accountID); err != nil {
			return "", "", err
		}
	}
	return subjectHash(key, "phone", phone), subjectHash(key, "email", email), nil
}

func subjectHash(key, kind, v string) string {
	if v == "" {
		return ""
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(kind + ":" + v))
	return hex.EncodeToString(mac.Sum(nil))
}

// deliveriesHolding returns the ids of the account's delivery-log rows
// whose raw request holds the subject's phone or email, in whatever form
// the sender wrote it. It reads every row of the account's sources, a page
// at a time.
func (s *Store) deliveriesHolding(ctx context.Context, accountID int64, m *matcher) ([]int64, error) {
	sources, err := idList(ctx, s.read, "SELECT id FROM sources WHERE account_id = $1 ORDER BY id", accountID)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, src := range sources {
		after := int64(0)
		for {
			rows, err := s.read.QueryContext(ctx, `SELECT id, body, query, coalesce(mapped, ''), coalesce(idempotency_key, '')
				FROM deliveries WHERE source_id = $1 AND id > $2 AND erased_at IS NULL ORDER BY id LIMIT 500`, src, after)
			if err != nil {
				return nil, err
			}
			n := 0
			for rows.Next() {
				var id int64
				var body []byte
				var query, mapped, key string
				if err := rows.Scan(&id, &body, &query, &mapped, &key); err != nil {
					rows.Close()
					return nil, err
				}
				n++
				after = id
				if m.holds(body) || m.holds([]byte(query)) || m.holds([]byte(mapped)) || m.holds([]byte(key)) {
					out = append(out, id)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			if n < 500 {
				break
			}
		}
	}
	return out, nil
}

// textsHolding returns the ids of the account's leads with a note or a task
// whose text holds the subject's phone or email, however written. Like
// deliveriesHolding it reads outside the erasure's transaction, a page at a
// time.
func (s *Store) textsHolding(ctx context.Context, accountID int64, m *matcher) ([]int64, error) {
	var out []int64
	for _, table := range []string{"lead_notes", "tasks"} {
		after := int64(0)
		for {
			rows, err := s.read.QueryContext(ctx, "SELECT id, lead_id, text FROM "+table+
				" WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT 500", accountID, after)
			if err != nil {
				return nil, err
			}
			n := 0
			for rows.Next() {
				var id, leadID int64
				var text string
				if err := rows.Scan(&id, &leadID, &text); err != nil {
					rows.Close()
					return nil, err
				}
				n++
				after = id
				if m.holds([]byte(text)) {
					out = append(out, leadID)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			if n < 500 {
				break
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// insertErasure writes the record of an erasure and sets its id.
func insertErasure(ctx context.Context, tx *sql.Tx, e *lead.Erasure) error {
	ids, err := json.Marshal(nonNil(e.LeadIDs))
	if err != nil {
		return err
	}
	c := e.Counts
	return tx.QueryRowContext(ctx, `INSERT INTO erasures (account_id, created_at, user_id, actor, kind, phone_hash, email_hash,
		reason, lead_ids, leads, clients, deliveries, idempotency, events, jobs, notes, tasks, import_files)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
		e.AccountID, e.Created, e.UserID, e.Actor, e.Kind, e.PhoneHash, e.EmailHash, e.Reason, string(ids),
		c.Leads, c.Clients, c.Deliveries, c.Idempotency, c.Events, c.Jobs, c.Notes, c.Tasks, c.ImportFiles).Scan(&e.ID)
}

const erasureColumns = `id, account_id, created_at, user_id, actor, kind, phone_hash, email_hash, reason, lead_ids,
	leads, clients, deliveries, idempotency, events, jobs, notes, tasks, import_files, purged_at`

func scanErasure(row scanner) (lead.Erasure, error) {
	var e lead.Erasure
	var ids string
	c := &e.Counts
	err := row.Scan(&e.ID, &e.AccountID, &e.Created, &e.UserID, &e.Actor, &e.Kind, &e.PhoneHash, &e.EmailHash, &e.Reason, &ids,
		&c.Leads, &c.Clients, &c.Deliveries, &c.Idempotency, &c.Events, &c.Jobs, &c.Notes, &c.Tasks, &c.ImportFiles, &e.Purged)
	if err != nil {
		return e, err
	}
	return e, json.Unmarshal([]byte(ids), &e.LeadIDs)
}

// ListErasures returns the account's erasures, newest first, paged by id
// (before 0: from the newest).
func (s *Store) ListErasures(ctx context.Context, accountID, before int64, limit int) ([]lead.Erasure, error) {
	if limit <= 0 || limit > MaxPage {
		limit = min(max(limit, 50), MaxPage)
	}
	rows, err := s.read.QueryContext(ctx, "SELECT "+erasureColumns+` FROM erasures WHERE account_id = $1
		AND (CAST($2 AS BIGINT) = 0 OR id < $2) ORDER BY id DESC LIMIT $3`, accountID, before, limit)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list erasures: %w", err))
	}
	defer rows.Close()
	out := []lead.Erasure{}
	for rows.Next() {
		e, err := scanErasure(rows)
		if err != nil {
			return nil, s.wrap(fmt.Errorf("list erasures: %w", err))
		}
		out = append(out, e)
	}
	return out, s.wrap(rows.Err())
}

// GetErasure returns one erasure of the account.
func (s *Store) GetErasure(ctx context.Context, accountID, id int64) (lead.Erasure, error) {
	e, err := scanErasure(s.read.QueryRowContext(ctx, "SELECT "+erasureColumns+" FROM erasures WHERE id = $1 AND account_id = $2", id, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return e, notFound("erasure")
	}
	return e, s.wrap(err)
}

// in is "col IN the ids of placeholder $n" (dialect.idsArg's argument).
func (s *Store) in(col string, n int) string {
	return col + strings.TrimPrefix(s.dialect.inIDs(n), "id")
}

// idList runs a query of one id column and returns the ids, ascending and
// without repeats.
func idList(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	slices.Sort(out)
	return slices.Compact(out), rows.Err()
}

func union(a, b []int64) []int64 {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
