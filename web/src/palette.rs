//! The timeline's colours: the Okabe-Ito palette, picked to stay apart
//! under the common colour-vision deficiencies. A test checks that with the
//! same simulation Chromium's vision-deficiency emulation uses (Machado,
//! Oliveira and Fernandes, 2009, full severity); the e2e run takes
//! screenshots under that emulation. Failed is a darker vermillion and
//! stopping a lighter reddish purple than Okabe-Ito's own, which the
//! deuteranopia screenshot showed too close to pause-requested and running.
//! Every state is also named in words.

use crate::model::WorkerState;

pub fn state(state: WorkerState) -> &'static str {
    match state {
        WorkerState::Running => "#009E73",
        WorkerState::PauseRequested => "#E69F00",
        WorkerState::Paused => "#0072B2",
        WorkerState::Stopping => "#E3A6CA",
        WorkerState::Stopped => "#5A5A5A",
        WorkerState::Failed => "#A33A00",
        WorkerState::Created => "#BBBBBB",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Linear-RGB simulation matrices (Machado et al. 2009, severity 1).
    const DEFICIENCIES: [(&str, [[f64; 3]; 3]); 3] = [
        (
            "protanopia",
            [
                [0.152_286, 1.052_583, -0.204_868],
                [0.114_503, 0.786_281, 0.099_216],
                [-0.003_882, -0.048_116, 1.051_998],
            ],
        ),
        (
            "deuteranopia",
            [
                [0.367_322, 0.860_646, -0.227_968],
                [0.280_085, 0.672_501, 0.047_413],
                [-0.011_820, 0.042_940, 0.968_881],
            ],
        ),
        (
            "tritanopia",
            [
                [1.255_528, -0.076_749, -0.178_779],
                [-0.078_411, 0.930_809, 0.147_602],
                [0.004_733, 0.691_367, 0.303_900],
            ],
        ),
    ];

    fn linear(hex: &str) -> [f64; 3] {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap()) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        [channel(0), channel(1), channel(2)]
    }

    /// CIELAB (D65) of a linear-RGB colour.
    fn lab([r, g, b]: [f64; 3]) -> [f64; 3] {
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.950_47;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.088_83;
        let f = |t: f64| {
            if t > 0.008_856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        [
            116.0 * f(y) - 16.0,
            500.0 * (f(x) - f(y)),
            200.0 * (f(y) - f(z)),
        ]
    }

    fn seen(hex: &str, m: &[[f64; 3]; 3]) -> [f64; 3] {
        let c = linear(hex);
        let row = |i: usize| (m[i][0] * c[0] + m[i][1] * c[1] + m[i][2] * c[2]).clamp(0.0, 1.0);
        lab([row(0), row(1), row(2)])
    }

    fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    }

    /// The lanes' states stay clearly apart (ΔE at least 15, where about 2
    /// is just noticeable) for people with each common deficiency. The
    /// palette it replaced fell to 8.7 (paused against stopping, for
    /// deuteranopia).
    #[test]
    fn the_states_stay_apart_under_each_colour_vision_deficiency() {
        let lanes = WorkerState::ALL
            .into_iter()
            .filter(|s| *s != WorkerState::Created);
        let lanes: Vec<WorkerState> = lanes.collect();
        for (name, m) in &DEFICIENCIES {
            for (i, a) in lanes.iter().enumerate() {
                for b in &lanes[i + 1..] {
                    let d = distance(seen(state(*a), m), seen(state(*b), m));
                    assert!(d >= 15.0, "{name}: {a} and {b} are only ΔE {d:.1} apart");
                }
            }
        }
    }
}
