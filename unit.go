package weiquan

// UnitType says what kind of body a unit is.
type UnitType string

const (
	UnitDispatch    UnitType = "dispatch"    // 指挥中心
	UnitAgency      UnitType = "agency"      // 市场监督管理局/所
	UnitStation     UnitType = "station"     // 消费维权服务站
	UnitArbitration UnitType = "arbitration" // 仲裁机构
	UnitEnterprise  UnitType = "enterprise"  // ODR 企业
)

// Label is the unit type in Chinese, as pages and messages name it.
func (t UnitType) Label() string {
	switch t {
	case UnitDispatch:
		return "指挥中心"
	case UnitAgency:
		return "市场监管局"
	case UnitStation:
		return "消费维权服务站"
	case UnitArbitration:
		return "仲裁机构"
	case UnitEnterprise:
		return "ODR 企业"
	}
	return string(t)
}

// Unit is a body that handles cases.
type Unit struct {
	ID           string   `json:"id" bson:"_id"`
	Name         string   `json:"name" bson:"name"`
	Type         UnitType `json:"type" bson:"type"`
	DivisionCode string   `json:"division_code" bson:"division_code"`
	ParentID     string   `json:"parent_id" bson:"parent_id"`                 // the unit above (county → city → province)
	Example      bool     `json:"example,omitempty" bson:"example,omitempty"` // shipped sample (示例), not a real body
	// USCC is an ODR enterprise's own credit code: complaints against it go
	// to it first.
	USCC string `json:"uscc,omitempty" bson:"uscc,omitempty"`
	// Members are the credit codes of the businesses a station mediates for.
	Members []string `json:"members,omitempty" bson:"members,omitempty"`
	// MaxAmountFen is an arbitration body's ceiling for small claims.
	MaxAmountFen int64 `json:"max_amount_fen,omitempty" bson:"max_amount_fen,omitempty"`
	// Covers lists the division codes (county or city) a station or
	// arbitration body serves.
	Covers []string `json:"covers,omitempty" bson:"covers,omitempty"`
	// DeadlineDays overrides the policy's working days for this station or
	// ODR enterprise.
	DeadlineDays int `json:"deadline_days,omitempty" bson:"deadline_days,omitempty"`
}

// FujianUnits generates the default set from the division table: an agency
// per county, city and the province, and a dispatch centre for the province
// and each city. 金门县 gets none (not administered by Fujian).
func FujianUnits() []Unit {
	var units []Unit
	for _, d := range Divisions {
		switch d.Level {
		case LevelProvince:
			units = append(units,
				Unit{ID: "dispatch-" + d.Code, Name: d.Name + "市场监管投诉举报指挥中心", Type: UnitDispatch, DivisionCode: d.Code},
				Unit{ID: "amr-" + d.Code, Name: d.Name + "市场监督管理局", Type: UnitAgency, DivisionCode: d.Code})
		case LevelCity:
			units = append(units,
				Unit{ID: "dispatch-" + d.Code, Name: d.Name + "市场监管投诉举报指挥中心", Type: UnitDispatch, DivisionCode: d.Code, ParentID: "dispatch-" + ProvinceCode},
				Unit{ID: "amr-" + d.Code, Name: d.Name + "市场监督管理局", Type: UnitAgency, DivisionCode: d.Code, ParentID: "amr-" + ProvinceCode})
		case LevelCounty:
			if d.Code == DivisionKinmen {
				continue
			}
			name := d.Name + "市场监督管理局"
			if d.Code == DivisionPingtan {
				name = "平潭综合实验区市场监督管理局"
			}
			units = append(units, Unit{ID: "amr-" + d.Code, Name: name, Type: UnitAgency, DivisionCode: d.Code, ParentID: "amr-" + d.ParentCode})
		}
	}
	return units
}
