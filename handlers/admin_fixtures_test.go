package handlers_test

import (
	"fmt"

	"weiquan/workflow"
)

// samplePolicy is a deadline policy file with the given ID (the fields of
// workflow/policies/order20-2022.json, with other numbers).
func samplePolicy(id string) string {
	return fmt.Sprintf(`{
  "id": %q,
  "name": "测试政策（第121号令草案）",
  "effective_from": "2026-04-15",
  "accept_days": 5,
  "mediate_days": 30,
  "termination_notice_days": 7,
  "verify_days": 15,
  "verify_extension_days": 15,
  "reporter_notice_days": 5,
  "jurisdiction_dispute_days": 7,
  "odr_days": 10,
  "station_days": 10,
  "warning_days": 2,
  "complaint_limitation_years": 3,
  "terminate_mediation_at_deadline": true
}`, id)
}

// sampleStation is a station in 思明区 with one member business (a made-up credit code
// no other test uses).
func sampleStation(name string) map[string]any {
	return map[string]any{
		"name": name, "type": "station", "division_code": "350203", "parent_id": "amr-350203",
		"members": []string{"91350203MA8ADMN01W"}, "deadline_days": 5,
	}
}

// fujianRules is the text of the shipped rules.
func fujianRules() string {
	_, text := workflow.DefaultRules()
	return text
}
