package lead

import "encoding/json"

// Account is one company (tenant). Every other row belongs to exactly one.
type Account struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Created int64  `json:"dtCreate"`
}

// Roles of a user.
const (
	RoleAdmin   = "admin"
	RoleManager = "manager"
)

// User is an employee of an account.
type User struct {
	ID           int64  `json:"id"`
	AccountID    int64  `json:"accountId"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	Role         string `json:"role"`
	Active       bool   `json:"active"`
	PasswordHash string `json:"-"`
	Created      int64  `json:"dtCreate"`
}

// Source types.
const (
	SourceWebhook = "webhook"
	SourceManual  = "manual"
	SourcePhone   = "phone"
	SourceSite    = "site"
	SourceOther   = "other"
)

// SourceTypes lists the valid source types.
var SourceTypes = []string{SourceWebhook, SourceManual, SourcePhone, SourceSite, SourceOther}

// Source is where leads come from. A webhook source has a secret token; its
// URL is the only credential a sender needs.
type Source struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"accountId"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Enabled   bool   `json:"enabled"`
	Token     string `json:"-"`
	Created   int64  `json:"dtCreate"`
	// Rev is the row's revision when it was read (bumped by every change to
	// it): a write made on behalf of this copy checks it is still current.
	Rev int64 `json:"-"`

	// Defaults applied to a new lead that does not name its own.
	DefaultOwnerID *int64 `json:"userIdOwner"`
	DefaultStageID *int64 `json:"funnelStageId"`
	DefaultUnitID  *int64 `json:"locationUnitId"`
	DefaultCityID  *int64 `json:"locationCityId"`

	Reading
}

// Reading is how a webhook source reads what senders post: which names mean
// which fields, and what browsers and form builders may do.
type Reading struct {
	// Preset names a ready set of field names (see package intake): "leadbox"
	// (the JSON contract; forms with common names), "tilda", "form".
	Preset string `json:"preset"`
	// Aliases map an incoming name to a lead field, on top of the preset; ""
	// keeps the name as an extra key.
	Aliases map[string]string `json:"aliases"`
	// AllowGet lets senders that can only send GET put the lead in the query.
	AllowGet bool `json:"allowGet"`
	// CORSOrigins are the browser origins allowed to post from scripts, or
	// ["*"]; empty sends no CORS headers.
	CORSOrigins []string `json:"corsOrigins"`
	// RedirectURL is where a browser's HTML form post is sent after the lead
	// is saved (303), instead of a JSON answer; "" answers JSON.
	RedirectURL string `json:"redirectUrl"`
	// Honeypot is a form field only bots fill; a request with it filled is
	// kept in the delivery log, marked spam, and creates no lead.
	Honeypot string `json:"honeypot"`
	// RatePerMinute overrides the installation's per-source limit; 0 keeps it.
	RatePerMinute int `json:"ratePerMinute"`
	// Confirmation is the text a sender's connection check wants back (VK's
	// Callback API confirmation string); "" for none.
	Confirmation string `json:"confirmation"`
	// SenderSecret is a secret the sender puts in each request (VK's
	// "secret"); a request without it is refused. "" checks nothing.
	SenderSecret string `json:"senderSecret"`
	// QuietMinutes is the longest gap between leads, in working minutes,
	// before the source counts as quiet; 0 learns it from the history.
	QuietMinutes int `json:"quietMinutes"`
}

// Ref is a named row of an account's reference data: an office, a city.
type Ref struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"accountId"`
	Name      string `json:"name"`
}

// Stage is a step of an account's sales funnel.
type Stage struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"accountId"`
	Name      string `json:"name"`
	Position  int    `json:"position"`
	Color     string `json:"color"`
	// Outcome says what reaching the stage means: OutcomeOpen, OutcomeWon
	// (a sale) or OutcomeLost (a refusal).
	Outcome string `json:"outcome"`
}

// Stage outcomes.
const (
	OutcomeOpen = "open"
	OutcomeWon  = "won"
	OutcomeLost = "lost"
)

// Outcomes lists the valid stage outcomes.
var Outcomes = []string{OutcomeOpen, OutcomeWon, OutcomeLost}

// Client is a customer record; several leads may link to one.
type Client struct {
	ID        int64   `json:"id"`
	AccountID int64   `json:"accountId"`
	Name      string  `json:"name"`
	Phone     *string `json:"phone"`
	Email     *string `json:"email"`
	Created   int64   `json:"dtCreate"`
}

// Delivery is one request to a webhook URL as the source's delivery log keeps
// it: accepted or rejected, with the raw body byte for byte.
type Delivery struct {
	ID             int64           `json:"id"`
	AccountID      int64           `json:"accountId"`
	SourceID       int64           `json:"sourceId"`
	Received       int64           `json:"dtReceived"` // unix milliseconds
	Method         string          `json:"method"`
	ContentType    string          `json:"contentType"`
	RemoteAddr     string          `json:"remoteAddr"`
	Status         int             `json:"status"`
	Errors         json.RawMessage `json:"errors"` // the {"errors": …} answer, or null
	LeadID         *int64          `json:"leadId"`
	IdempotencyKey *string         `json:"idempotencyKey"`
	Replayed       bool            `json:"replayed"`
	Body           []byte          `json:"-"`
	BodyTruncated  bool            `json:"bodyTruncated"`
	Query          string          `json:"query"`  // a GET request's query string
	Mapped         json.RawMessage `json:"mapped"` // the fields as the source read them, when not the body itself
	Mark           string          `json:"mark"`   // "", or one of the Mark constants
	Notes          string          `json:"notes"`  // what was left out, e.g. file parts
	Reprocessed    *int64          `json:"dtReprocessed"`
	Erased         *int64          `json:"dtErased"` // when its raw request was erased (152-FZ), unix seconds
}

// Marks on a delivery that did not make a lead for a reason other than its
// fields.
const (
	MarkTest   = "test"   // a sender's connection check
	MarkSpam   = "spam"   // the honeypot field was filled
	MarkOrigin = "origin" // a browser on an origin the source does not allow
)
