@testable import AugProTeacher
import Foundation
import Testing

/// The float erf behind the exact (erf-form) GELU, against the C library's double `erf`.
@Suite("Teacher kernels")
struct TeacherKernelTests {
    @Test("erf32 stays within 5e-7 of erf over [-6, 6]")
    func erfAccuracy() {
        var largest = 0.0
        for step in -60_000...60_000 {
            let x = Double(step) / 10_000
            largest = max(largest, abs(Double(Kernels.erf32(Float(x))) - Foundation.erf(Double(Float(x)))))
        }
        #expect(largest <= 5e-7, "max error \(largest)")
    }
}
