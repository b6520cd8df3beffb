import ChurnModels

/// TreeSHAP as published (Lundberg, Erion & Lee 2018, Algorithm 2: O(leaves × depth²) per tree
/// and row, the path of unique features extended and unwound), kept here as the reference that
/// the library's O(nodes × depth) computation must agree with. It was the library's own
/// implementation until the faster one replaced it, and it passed the brute-force test.
struct ReferenceTreeSHAP {
  let tree: DecisionTree

  struct PathElement {
    var feature: Int
    var zeroFraction: Double
    var oneFraction: Double
    var weight: Double
  }

  /// Adds the tree's Shapley values for `row` (d values) to `phi`.
  func addShapleyValues(_ row: UnsafePointer<Double>, into phi: inout [Double]) {
    // Each recursion level keeps its path in its own segment of one buffer (as the reference
    // C++ does): level k needs k + 1 elements, so the buffer holds (D + 2)(D + 3)/2.
    let depth = maxDepth
    let capacity = (depth + 2) * (depth + 3) / 2
    let buffer = UnsafeMutablePointer<PathElement>.allocate(capacity: capacity)
    defer { buffer.deallocate() }
    phi.withUnsafeMutableBufferPointer { out in
      recurse(node: 0, path: buffer, depth: 0, zeroFraction: 1, oneFraction: 1, feature: -1, row: row, phi: out.baseAddress!)
    }
  }

  /// The depth of the deepest leaf.
  var maxDepth: Int {
    var deepest = 0
    var stack = [(0, 0)]
    while let (k, d) = stack.popLast() {
      deepest = max(deepest, d)
      if tree.feature[k] >= 0 {
        stack.append((Int(tree.left[k]), d + 1))
        stack.append((Int(tree.right[k]), d + 1))
      }
    }
    return deepest
  }

  /// `parent` holds `depth` elements (the path so far); this level's path is written after them.
  private func recurse(node: Int, path parent: UnsafeMutablePointer<PathElement>, depth parentDepth: Int, zeroFraction: Double,
                       oneFraction: Double, feature splitFeature: Int, row: UnsafePointer<Double>, phi: UnsafeMutablePointer<Double>) {
    let path = parent + parentDepth
    if parentDepth > 0 { path.update(from: parent, count: parentDepth) }
    var depth = parentDepth
    Self.extend(path, depth: depth, zeroFraction: zeroFraction, oneFraction: oneFraction, feature: splitFeature)
    let split = Int(tree.feature[node])
    if split < 0 {
      let leaf = Double(tree.value[node])
      for i in stride(from: 1, through: depth, by: 1) {
        let w = Self.unwoundSum(path, depth: depth, index: i)
        phi[path[i].feature] += w * (path[i].oneFraction - path[i].zeroFraction) * leaf
      }
      return
    }
    let goesLeft = row[split] <= tree.threshold[node]
    let hot = Int(goesLeft ? tree.left[node] : tree.right[node]), cold = Int(goesLeft ? tree.right[node] : tree.left[node])
    let cover = Double(tree.cover[node])
    var incomingZero = 1.0, incomingOne = 1.0
    var k = 0
    while k <= depth && path[k].feature != split { k += 1 }
    if k <= depth {
      incomingZero = path[k].zeroFraction
      incomingOne = path[k].oneFraction
      Self.unwind(path, depth: depth, index: k)
      depth -= 1
    }
    recurse(node: hot, path: path, depth: depth + 1, zeroFraction: Double(tree.cover[hot]) / cover * incomingZero,
            oneFraction: incomingOne, feature: split, row: row, phi: phi)
    recurse(node: cold, path: path, depth: depth + 1, zeroFraction: Double(tree.cover[cold]) / cover * incomingZero,
            oneFraction: 0, feature: split, row: row, phi: phi)
  }

  /// Adds element `depth` (the path has `depth` elements before it).
  static func extend(_ path: UnsafeMutablePointer<PathElement>, depth: Int, zeroFraction: Double, oneFraction: Double, feature: Int) {
    path[depth] = PathElement(feature: feature, zeroFraction: zeroFraction, oneFraction: oneFraction, weight: depth == 0 ? 1 : 0)
    let scale = Double(depth + 1)
    for i in stride(from: depth - 1, through: 0, by: -1) {
      path[i + 1].weight += oneFraction * path[i].weight * Double(i + 1) / scale
      path[i].weight = zeroFraction * path[i].weight * Double(depth - i) / scale
    }
  }

  /// Removes element `index` from a path whose last element is `depth`.
  static func unwind(_ path: UnsafeMutablePointer<PathElement>, depth: Int, index: Int) {
    let one = path[index].oneFraction, zero = path[index].zeroFraction
    var next = path[depth].weight
    let scale = Double(depth + 1)
    for i in stride(from: depth - 1, through: 0, by: -1) {
      if one != 0 {
        let saved = path[i].weight
        path[i].weight = next * scale / (Double(i + 1) * one)
        next = saved - path[i].weight * zero * Double(depth - i) / scale
      } else {
        path[i].weight = path[i].weight * scale / (zero * Double(depth - i))
      }
    }
    for i in index..<depth {
      path[i].feature = path[i + 1].feature
      path[i].zeroFraction = path[i + 1].zeroFraction
      path[i].oneFraction = path[i + 1].oneFraction
    }
  }

  /// The total weight of the path with element `index` removed (without changing it).
  static func unwoundSum(_ path: UnsafeMutablePointer<PathElement>, depth: Int, index: Int) -> Double {
    let one = path[index].oneFraction, zero = path[index].zeroFraction
    var next = path[depth].weight
    var total = 0.0
    let scale = Double(depth + 1)
    for i in stride(from: depth - 1, through: 0, by: -1) {
      if one != 0 {
        let share = next * scale / (Double(i + 1) * one)
        total += share
        next = path[i].weight - share * zero * Double(depth - i) / scale
      } else {
        total += path[i].weight / zero / (Double(depth - i) / scale)
      }
    }
    return total
  }
}
