/// The version of understudy, as `understudy --version` prints it and the worker logs it at start.
package enum UnderstudyVersion {
    package static let current = "0.6.0"
}
