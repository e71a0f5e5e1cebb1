package httpapi

import (
	"net/http"

	"github.com/hiretrack/hiretrack"
)

// maxStages bounds the regular stages of a track; real pipelines have a handful.
const maxStages = 50

func (s *Server) createTrack(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	body, err := decodeObject(r)
	if err != nil {
		return err
	}
	title := body.String("title", maxNameLen)
	items := body.Objects("stages", maxStages, true)
	if err := body.Err(); err != nil {
		return err
	}
	if len(items) == 0 {
		return hiretrack.FieldErrorf(hiretrack.KindInvalid, "stages", "invalid_field", "stages must hold at least one stage")
	}

	stages, err := readStages(items)
	if err != nil {
		return err
	}
	track, err := s.store.CreateTrack(r.Context(), p.CompanyID, title, stages)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, track)
	return nil
}

// readStages reads the regular stages of a new track.
func readStages(items []*object) ([]hiretrack.StageInput, error) {
	types := moduleTypeNames()
	stages := make([]hiretrack.StageInput, 0, len(items))
	for _, item := range items {
		st := hiretrack.StageInput{
			Name:     item.String("name", maxNameLen),
			Type:     hiretrack.StageType(item.Enum("type", types...)),
			ModuleID: item.ID("module_id"),
			InviteValidHours: item.OptionalInt("invite_valid_hours", 1, hiretrack.MaxInviteValidHours,
				hiretrack.DefaultInviteValidHours),
		}
		st.AutoAdvance, _ = readRule(item, hiretrack.RuleAutoAdvance)
		st.AutoReject, _ = readRule(item, hiretrack.RuleAutoReject)
		if err := item.Err(); err != nil {
			return nil, err
		}
		stages = append(stages, st)
	}
	return stages, nil
}

func (s *Server) listTracks(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	tracks, err := s.store.Tracks(r.Context(), p.CompanyID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(tracks))
	return nil
}

func (s *Server) getTrack(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	id, err := pathID(r, "track_id")
	if err != nil {
		return err
	}
	track, err := s.store.Track(r.Context(), p.CompanyID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, track)
	return nil
}
