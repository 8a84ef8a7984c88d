package idngo

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Wire time formats (UTC).
const (
	dateTimeLayout   = "2006-01-02 15:04:05"
	dateTimeMsLayout = "2006-01-02 15:04:05.000"
)

// level is a verification level: its steps in order.
type level struct {
	name  string
	steps []string
}

// levels are the levels the sandbox knows.
var levels = map[string]level{
	LevelBasic:  {name: LevelBasic, steps: []string{StepIdentity, StepSelfie}},
	LevelIDOnly: {name: LevelIDOnly, steps: []string{StepIdentity}},
}

// stepDocTypes are the document types each step accepts, in the order shown in docSets.
var stepDocTypes = map[string][]string{
	StepIdentity: {DocPassport, DocIDCard, DocDrivers, DocResidencePermit},
	StepSelfie:   {DocSelfie},
}

// stepOf returns the step of a document type within lv, or "" when lv does not take it.
func (lv level) stepOf(docType string) string {
	for _, step := range lv.steps {
		if slices.Contains(stepDocTypes[step], docType) {
			return step
		}
	}
	return ""
}

// twoSided reports whether a document type needs FRONT_SIDE and BACK_SIDE images.
func twoSided(docType string) bool {
	switch docType {
	case DocIDCard, DocDrivers, DocResidencePermit:
		return true
	}
	return false
}

// applicant is the sandbox's state for one applicant; guarded by Sandbox.mu.
type applicant struct {
	id, inspectionID, externalUserID, levelName string
	createdAt                                   time.Time
	email, phone                                string
	info, fixedInfo                             map[string]any

	images []*image
	steps  map[string]*ReviewResult // each step's result of the last review that judged it

	reviewID, attemptID string
	attemptCnt          int
	reviewStatus        string
	createDate          time.Time // createDate is when the current attempt started
	reviewDate          time.Time // reviewDate is when the last review completed
	result              *ReviewResult
	reviews             int

	decision         *task // decision is the running review's scheduled verdict
	blacklistTask    *task // blacklistTask is the scheduled FileMarkerBlacklist review
	blacklistPlanned bool
}

// image is one uploaded file (its bytes are not kept).
type image struct {
	id                              int64
	step, docType, subType, country string
	fileName                        string
	size                            int
	digest                          string        // digest is the content's SHA-256 (hex): the same file again is a duplicate-document.
	result                          *ReviewResult // nil until judged
}

// hasImage reports whether an image with this content digest was uploaded.
func (a *applicant) hasImage(digest string) bool {
	for _, im := range a.images {
		if im.digest == digest {
			return true
		}
	}
	return false
}

// final reports whether the applicant was rejected for good.
func (a *applicant) final() bool {
	return a.reviewStatus == StatusCompleted && a.result.isFinal()
}

// stepImages returns the step's current document and its active images,
// front side first. The current document is the (idDocType, country) of the
// step's latest upload; an image rejected RED/RETRY is superseded by a later
// upload of the same document and side.
func (a *applicant) stepImages(step string) (docType, country string, active []*image) {
	var latest *image
	for _, im := range slices.Backward(a.images) {
		if im.step == step {
			latest = im
			break
		}
	}
	if latest == nil {
		return "", "", nil
	}
	for i, im := range a.images {
		if im.step != step || im.docType != latest.docType || im.country != latest.country {
			continue
		}
		if im.result.isRetry() && slices.ContainsFunc(a.images[i+1:], func(later *image) bool {
			return later.docType == im.docType && later.country == im.country && later.subType == im.subType
		}) {
			continue
		}
		active = append(active, im)
	}
	slices.SortStableFunc(active, func(x, y *image) int { return sideRank(x.subType) - sideRank(y.subType) })
	return latest.docType, latest.country, active
}

// sideRank orders sides front first.
func sideRank(subType string) int {
	switch subType {
	case SideFront:
		return 0
	case SideBack:
		return 2
	}
	return 1
}

// missingDocs describes what keeps the applicant from review, or "" when complete.
func (a *applicant) missingDocs() string {
	var missing []string
	for _, step := range levels[a.levelName].steps {
		docType, _, active := a.stepImages(step)
		if len(active) == 0 {
			missing = append(missing, step)
			continue
		}
		if !twoSided(docType) {
			continue
		}
		for _, side := range []string{SideFront, SideBack} {
			if !slices.ContainsFunc(active, func(im *image) bool { return im.subType == side }) {
				missing = append(missing, step+" ("+docType+" "+side+")")
			}
		}
	}
	return strings.Join(missing, ", ")
}

// lastNames returns the last names given in info and fixedInfo.
func (a *applicant) lastNames() []string {
	var names []string
	for _, m := range []map[string]any{a.info, a.fixedInfo} {
		for _, key := range []string{"lastName", "lastNameEn"} {
			if v, ok := m[key].(string); ok {
				names = append(names, v)
			}
		}
	}
	return names
}

// fraud reports whether the applicant's last name is LastNameFraud.
func (a *applicant) fraud() bool {
	return slices.ContainsFunc(a.lastNames(), func(n string) bool {
		return strings.EqualFold(strings.TrimSpace(n), LastNameFraud)
	})
}

// snapshot copies the applicant's state.
func (a *applicant) snapshot() ApplicantSnapshot {
	snap := ApplicantSnapshot{
		ID:               a.id,
		ExternalUserID:   a.externalUserID,
		InspectionID:     a.inspectionID,
		LevelName:        a.levelName,
		CreatedAt:        a.createdAt,
		ReviewStatus:     a.reviewStatus,
		ReviewID:         a.reviewID,
		AttemptID:        a.attemptID,
		AttemptCnt:       a.attemptCnt,
		Result:           a.result.clone(),
		Reviews:          a.reviews,
		Steps:            map[string]*ReviewResult{},
		BlacklistPlanned: a.blacklistPlanned,
	}
	for step, r := range a.steps {
		snap.Steps[step] = r.clone()
	}
	active := map[int64]bool{}
	for _, step := range levels[a.levelName].steps {
		_, _, imgs := a.stepImages(step)
		for _, im := range imgs {
			active[im.id] = true
		}
	}
	for _, im := range a.images {
		snap.Images = append(snap.Images, ImageSnapshot{
			ID: im.id, Step: im.step, IDDocType: im.docType, IDDocSubType: im.subType,
			Country: im.country, FileName: im.fileName, Size: im.size,
			Active: active[im.id], Result: im.result.clone(),
		})
	}
	return snap
}

// docSetJSON is one entry of requiredIdDocs.docSets.
type docSetJSON struct {
	IDDocSetType string   `json:"idDocSetType"`
	Types        []string `json:"types"`
	SubTypes     []string `json:"subTypes,omitempty"`
}

// reviewJSON is the applicant's review object.
type reviewJSON struct {
	ReviewID     string        `json:"reviewId"`
	AttemptID    string        `json:"attemptId"`
	AttemptCnt   int           `json:"attemptCnt"`
	LevelName    string        `json:"levelName"`
	CreateDate   string        `json:"createDate"`
	ReviewDate   string        `json:"reviewDate,omitempty"`
	ReviewStatus string        `json:"reviewStatus"`
	ReviewResult *ReviewResult `json:"reviewResult,omitempty"`
	Priority     int           `json:"priority"`
}

// applicantJSON is the applicant resource.
type applicantJSON struct {
	ID                string         `json:"id"`
	CreatedAt         string         `json:"createdAt"`
	ClientID          string         `json:"clientId"`
	InspectionID      string         `json:"inspectionId"`
	ExternalUserID    string         `json:"externalUserId"`
	LevelName         string         `json:"levelName"`
	Info              map[string]any `json:"info"`
	FixedInfo         map[string]any `json:"fixedInfo,omitempty"`
	Email             string         `json:"email,omitempty"`
	Phone             string         `json:"phone,omitempty"`
	ApplicantPlatform string         `json:"applicantPlatform"`
	RequiredIDDocs    struct {
		DocSets []docSetJSON `json:"docSets"`
	} `json:"requiredIdDocs"`
	Review reviewJSON `json:"review"`
	Type   string     `json:"type"`
}

// toJSON renders the applicant resource.
func (a *applicant) toJSON() applicantJSON {
	out := applicantJSON{
		ID:                a.id,
		CreatedAt:         fmtTime(a.createdAt),
		ClientID:          ClientID,
		InspectionID:      a.inspectionID,
		ExternalUserID:    a.externalUserID,
		LevelName:         a.levelName,
		Info:              maps.Clone(a.info),
		FixedInfo:         maps.Clone(a.fixedInfo),
		Email:             a.email,
		Phone:             a.phone,
		ApplicantPlatform: "API",
		Type:              "individual",
		Review: reviewJSON{
			ReviewID:     a.reviewID,
			AttemptID:    a.attemptID,
			AttemptCnt:   a.attemptCnt,
			LevelName:    a.levelName,
			CreateDate:   fmtTime(a.createDate),
			ReviewStatus: a.reviewStatus,
			ReviewResult: a.result.clone(),
		},
	}
	if out.Info == nil {
		out.Info = map[string]any{}
	}
	if !a.reviewDate.IsZero() {
		out.Review.ReviewDate = fmtTime(a.reviewDate)
	}
	for _, step := range levels[a.levelName].steps {
		set := docSetJSON{IDDocSetType: step, Types: stepDocTypes[step]}
		if step == StepIdentity {
			set.SubTypes = []string{SideFront, SideBack}
		}
		out.RequiredIDDocs.DocSets = append(out.RequiredIDDocs.DocSets, set)
	}
	return out
}

// stepStatusJSON is one step of requiredIdDocsStatus.
type stepStatusJSON struct {
	ReviewResult       *ReviewResult            `json:"reviewResult"`
	Country            string                   `json:"country"`
	IDDocType          string                   `json:"idDocType"`
	ImageIDs           []int64                  `json:"imageIds"`
	ImageReviewResults map[string]*ReviewResult `json:"imageReviewResults"`
	Forbidden          bool                     `json:"forbidden"`
}

// docsStatus renders requiredIdDocsStatus: a step with nothing uploaded is null.
func (a *applicant) docsStatus() map[string]*stepStatusJSON {
	out := map[string]*stepStatusJSON{}
	for _, step := range levels[a.levelName].steps {
		docType, country, active := a.stepImages(step)
		if len(active) == 0 {
			out[step] = nil
			continue
		}
		st := &stepStatusJSON{
			ReviewResult:       a.steps[step].clone(),
			Country:            country,
			IDDocType:          docType,
			ImageIDs:           []int64{},
			ImageReviewResults: map[string]*ReviewResult{},
		}
		for _, im := range active {
			st.ImageIDs = append(st.ImageIDs, im.id)
			if im.result != nil {
				st.ImageReviewResults[strconv.FormatInt(im.id, 10)] = im.result.clone()
			}
		}
		out[step] = st
	}
	return out
}

// fmtTime formats t as yyyy-MM-dd HH:mm:ss UTC.
func fmtTime(t time.Time) string {
	return t.UTC().Format(dateTimeLayout)
}

// newHexID returns 24 random lowercase hex characters, like IDnGO's ids.
func newHexID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newShortID returns 5 random letters, like IDnGO's reviewId and attemptId.
func newShortID() string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b [5]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b[:])
}
