extension Int {
    /// `value` rounded toward zero and clamped to `Int`'s range (NaN gives 0): for numbers derived from input,
    /// where `Int(value)` would trap on an out-of-range value.
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9_223_372_036_854_775_807.0 {
            self = .max
        } else if value <= -9_223_372_036_854_775_808.0 {
            self = .min
        } else {
            self = Int(value)
        }
    }
}
