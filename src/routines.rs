//! The routine call graph: which routine runs which, and where. Cycles,
//! reachability and the order in which routines can be folded (callees
//! first) all come from here. Every walk is iterative: a file may chain
//! thousands of routines, and none of that may cost stack.

use crate::diagnostic::Span;

/// For each routine, the routines it runs and the span of each `run`.
pub type Calls = Vec<Vec<(usize, Span)>>;

/// The strongly connected components of the graph, callees before callers
/// (Tarjan's algorithm). A component of several routines, or of one that
/// runs itself, is a cycle; when there are none, the concatenation of the
/// components is an order in which every routine comes after those it runs.
pub fn components(calls: &Calls) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let count = calls.len();
    let mut index = vec![UNSEEN; count];
    let mut low = vec![0; count];
    let mut on_stack = vec![false; count];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut next = 0;
    for root in 0..count {
        if index[root] != UNSEEN {
            continue;
        }
        // Each frame: a routine and how many of its calls were followed.
        let mut frames = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (routine, ref mut followed)) = frames.last_mut() {
            if let Some(&(callee, _)) = calls[routine].get(*followed) {
                *followed += 1;
                if index[callee] == UNSEEN {
                    index[callee] = next;
                    low[callee] = next;
                    next += 1;
                    stack.push(callee);
                    on_stack[callee] = true;
                    frames.push((callee, 0));
                } else if on_stack[callee] {
                    low[routine] = low[routine].min(index[callee]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(caller, _)) = frames.last() {
                low[caller] = low[caller].min(low[routine]);
            }
            if low[routine] == index[routine] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == routine {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

/// Whether a component is a cycle.
pub fn is_cycle(calls: &Calls, component: &[usize]) -> bool {
    match component {
        [only] => calls[*only].iter().any(|(callee, _)| callee == only),
        _ => !component.is_empty(),
    }
}

/// One cycle through a cyclic component, as the routines in order, each with
/// the span of its `run` of the next; the last runs the first. Found by a
/// breadth-first search from the component's first-declared routine, so it
/// is a shortest cycle through it.
pub fn cycle_in(calls: &Calls, component: &[usize]) -> Vec<(usize, Span)> {
    let Some(&start) = component.iter().min() else {
        return Vec::new();
    };
    let mut member = vec![false; calls.len()];
    for &routine in component {
        member[routine] = true;
    }
    // For each routine reached: the routine and `run` it was reached from.
    let mut from: Vec<Option<(usize, Span)>> = vec![None; calls.len()];
    let mut queue = std::collections::VecDeque::from([start]);
    let mut seen = vec![false; calls.len()];
    seen[start] = true;
    while let Some(routine) = queue.pop_front() {
        for &(callee, span) in &calls[routine] {
            if callee == start {
                // Walk back from `routine` to `start`.
                let mut cycle = vec![(routine, span)];
                let mut at = routine;
                while let Some((caller, run)) = from[at] {
                    cycle.push((caller, run));
                    at = caller;
                }
                cycle.reverse();
                return cycle;
            }
            if member[callee] && !seen[callee] {
                seen[callee] = true;
                from[callee] = Some((routine, span));
                queue.push_back(callee);
            }
        }
    }
    Vec::new()
}

/// Which routines the program runs, directly or through others.
pub fn reachable(calls: &Calls, roots: &[(usize, Span)]) -> Vec<bool> {
    let mut reached = vec![false; calls.len()];
    let mut stack: Vec<usize> = roots.iter().map(|(r, _)| *r).collect();
    while let Some(routine) = stack.pop() {
        if !std::mem::replace(&mut reached[routine], true) {
            stack.extend(calls[routine].iter().map(|(r, _)| *r));
        }
    }
    reached
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[&[usize]]) -> Calls {
        edges
            .iter()
            .map(|callees| callees.iter().map(|&c| (c, Span::new(c, 1))).collect())
            .collect()
    }

    #[test]
    fn components_come_callees_first() {
        // 0 -> 1 -> 2, 3 alone
        let calls = graph(&[&[1], &[2], &[], &[]]);
        let order: Vec<usize> = components(&calls).into_iter().flatten().collect();
        let position = |r: usize| order.iter().position(|&x| x == r).unwrap_or(usize::MAX);
        assert!(position(2) < position(1) && position(1) < position(0));
        assert_eq!(order.len(), 4);
    }

    #[test]
    fn one_cycle_per_component() {
        // 0 -> 1 -> 2 -> 0 and 0 -> 2: two cycles, one component.
        let calls = graph(&[&[1, 2], &[2], &[0], &[3]]);
        let cyclic: Vec<Vec<usize>> = components(&calls)
            .into_iter()
            .filter(|c| is_cycle(&calls, c))
            .collect();
        assert_eq!(cyclic.len(), 2, "{cyclic:?}");
        let big = cyclic.iter().find(|c| c.len() == 3).expect("the 3-cycle");
        let cycle: Vec<usize> = cycle_in(&calls, big).iter().map(|(r, _)| *r).collect();
        assert_eq!(cycle, [0, 2], "shortest cycle through routine 0");
    }
}
