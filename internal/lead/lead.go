// Package lead owns leadbox's domain: leads, sources, accounts and the rules
// that hold whatever the transport or the storage engine. It imports only the
// standard library.
package lead

import "encoding/json"

// Lead is one request from a prospective customer. The JSON form is the
// webhook's answer: exactly these keys, in this order, absent values as null.
type Lead struct {
	ID               int64   `json:"id"`
	FirstID          *int64  `json:"firstId"`
	Name             *string `json:"name"`
	SourceID         *int64  `json:"sourceId"`
	ClientID         *int64  `json:"clientId"`
	Phone            *string `json:"phone"`
	Email            *string `json:"email"`
	NotAnswer        *bool   `json:"notAnswer"`
	UserIDCreate     *int64  `json:"userIdCreate"`
	UserIDUpdate     *int64  `json:"userIdUpdate"`
	DtCreate         int64   `json:"dtCreate"`
	DtUpdate         int64   `json:"dtUpdate"`
	DtNotAnswer      *int64  `json:"dtNotAnswer"`
	LocationUnitID   *int64  `json:"locationUnitId"`
	LocationCityID   *int64  `json:"locationCityId"`
	FunnelStageID    *int64  `json:"funnelStageId"`
	UserIDOwner      *int64  `json:"userIdOwner"`
	OtherCount       int64   `json:"otherCount"`
	Cost             *int64  `json:"cost"`
	RemoteID         *int64  `json:"remoteId"`
	UTMSource        *string `json:"utmSource"`
	UTMMedium        *string `json:"utmMedium"`
	UTMCampaign      *string `json:"utmCampaign"`
	UTMContent       *string `json:"utmContent"`
	UTMTerm          *string `json:"utmTerm"`
	UTMReferrer      *string `json:"utmReferrer"`
	OpenstatService  *string `json:"openstatService"`
	OpenstatCampaign *string `json:"openstatCampaign"`
	OpenstatAd       *string `json:"openstatAd"`
	OpenstatSource   *string `json:"openstatSource"`
	From             *string `json:"from"`
	YClID            *string `json:"yclid"`
	YMClID           *string `json:"ymclid"`
	YMClientID       *string `json:"ymClientId"`
	GClID            *string `json:"gclid"`
	YQRID            *string `json:"yqrid"`
	FBClID           *string `json:"fbclid"`
	RoistatID        *string `json:"roistatId"`
	Referrer         *string `json:"referrer"`
	IP               *string `json:"ip"`

	// Not part of the wire answer.
	AccountID  int64           `json:"-"`
	Extra      json.RawMessage `json:"-"` // unknown keys the sender sent, as a JSON object in their order
	DeliveryID *int64          `json:"-"` // the delivery-log row holding the raw request
}

// Input is what a sender may set on a new lead: the webhook's request fields.
// Nil means absent. Phone is already normalised to international digits and
// EmailKey is the lower-cased email used to find duplicates.
type Input struct {
	Name           *string
	Phone          *string
	Email          *string
	UserIDOwner    *int64
	SourceID       *int64
	RemoteID       *int64
	LocationUnitID *int64
	LocationCityID *int64
	FunnelStageID  *int64
	Cost           *int64
	Marks          Marks

	// Extra holds the keys the sender sent that are not fields, as a JSON
	// object in the order they arrived; nil when there were none.
	Extra json.RawMessage
}

// Marks are the advertising and analytics strings of a lead.
type Marks struct {
	UTMSource        *string
	UTMMedium        *string
	UTMCampaign      *string
	UTMContent       *string
	UTMTerm          *string
	UTMReferrer      *string
	OpenstatService  *string
	OpenstatCampaign *string
	OpenstatAd       *string
	OpenstatSource   *string
	From             *string
	YClID            *string
	YMClID           *string
	YMClientID       *string
	GClID            *string
	YQRID            *string
	FBClID           *string
	RoistatID        *string
	Referrer         *string
	IP               *string
}

// Marks returns the lead's marks.
func (l *Lead) Marks() Marks {
	return Marks{
		l.UTMSource, l.UTMMedium, l.UTMCampaign, l.UTMContent, l.UTMTerm, l.UTMReferrer,
		l.OpenstatService, l.OpenstatCampaign, l.OpenstatAd, l.OpenstatSource,
		l.From, l.YClID, l.YMClID, l.YMClientID, l.GClID, l.YQRID, l.FBClID, l.RoistatID,
		l.Referrer, l.IP,
	}
}

// SetMarks copies m into the lead.
func (l *Lead) SetMarks(m Marks) {
	l.UTMSource, l.UTMMedium, l.UTMCampaign, l.UTMContent, l.UTMTerm, l.UTMReferrer = m.UTMSource, m.UTMMedium, m.UTMCampaign, m.UTMContent, m.UTMTerm, m.UTMReferrer
	l.OpenstatService, l.OpenstatCampaign, l.OpenstatAd, l.OpenstatSource = m.OpenstatService, m.OpenstatCampaign, m.OpenstatAd, m.OpenstatSource
	l.From, l.YClID, l.YMClID, l.YMClientID, l.GClID, l.YQRID, l.FBClID, l.RoistatID = m.From, m.YClID, m.YMClID, m.YMClientID, m.GClID, m.YQRID, m.FBClID, m.RoistatID
	l.Referrer, l.IP = m.Referrer, m.IP
}

// List returns pointers to every mark in the order of MarkFields, so storage
// code can scan and bind them without naming each one.
func (m *Marks) List() []**string {
	return []**string{
		&m.UTMSource, &m.UTMMedium, &m.UTMCampaign, &m.UTMContent, &m.UTMTerm, &m.UTMReferrer,
		&m.OpenstatService, &m.OpenstatCampaign, &m.OpenstatAd, &m.OpenstatSource,
		&m.From, &m.YClID, &m.YMClID, &m.YMClientID, &m.GClID, &m.YQRID, &m.FBClID, &m.RoistatID,
		&m.Referrer, &m.IP,
	}
}

// Input returns the lead's sender-settable fields (without Extra).
func (l *Lead) Input() Input {
	return Input{
		Name: l.Name, Phone: l.Phone, Email: l.Email, UserIDOwner: l.UserIDOwner, SourceID: l.SourceID,
		RemoteID: l.RemoteID, LocationUnitID: l.LocationUnitID, LocationCityID: l.LocationCityID,
		FunnelStageID: l.FunnelStageID, Cost: l.Cost, Marks: l.Marks(),
	}
}

// SetInput copies in's fields (not Extra) into the lead.
func (l *Lead) SetInput(in Input) {
	l.Name, l.Phone, l.Email, l.UserIDOwner, l.SourceID = in.Name, in.Phone, in.Email, in.UserIDOwner, in.SourceID
	l.RemoteID, l.LocationUnitID, l.LocationCityID = in.RemoteID, in.LocationUnitID, in.LocationCityID
	l.FunnelStageID, l.Cost = in.FunnelStageID, in.Cost
	l.SetMarks(in.Marks)
}

// Event is one entry of a lead's history: who did what, and which fields
// changed from what to what.
type Event struct {
	ID      int64             `json:"id"`
	LeadID  int64             `json:"leadId"`
	UserID  *int64            `json:"userId"`
	At      int64             `json:"dtCreate"`
	Action  string            `json:"action"` // create, update, noAnswer, client, delete
	Changes map[string][2]any `json:"changes"`
}
