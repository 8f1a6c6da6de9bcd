;; Training kernels for tfjs's wasm backend, in WebAssembly with 128-bit SIMD.
;;
;; Why hand-written wasm: two steps of training are memory passes that wasm's
;; kernels can only express as a chain of a dozen whole-tensor passes (the
;; max-pool gradient's arg-max scatter, Adam's update), and a JS loop does them
;; one float at a time with a mispredicted branch per window. These run on four
;; floats at once, branch-free, in one pass.
;;
;; The module imports tfjs's own memory, so it reads and writes tensors where
;; they are: every pointer below is a byte offset into tfjs's wasm heap.
;; `npm run build` (scripts/gen-simd-kernels.mjs) assembles this file with wabt
;; into kernelsBinary.ts; test/unit/engine/backend checks the two agree.
(module
  (import "env" "memory" (memory 1))

  ;; dx[at] += dy[j] when the window had a maximum (at >= 0).
  (func $route (param $dx i32) (param $dy i32) (param $at i32) (param $j i32)
    (local $p i32)
    (if (i32.ge_s (local.get $at) (i32.const 0))
      (then
        (local.set $p (i32.add (local.get $dx) (i32.shl (local.get $at) (i32.const 2))))
        (f32.store (local.get $p)
          (f32.add (f32.load (local.get $p))
                   (f32.load (i32.add (local.get $dy) (i32.shl (local.get $j) (i32.const 2)))))))))

  ;; The max-pool gradient of NHWC x [n, h, w, c]: each window of the pooled
  ;; output [n, oh, ow, c] sends dy to the first position (row-major) holding
  ;; its maximum; a strictly greater value replaces the running maximum, so ties
  ;; go to the earliest tap and NaN never wins; padding is skipped. dx is
  ;; zeroed first. $taps: scratch room for kh*kw i32s.
  (func (export "maxPoolGrad")
    (param $x i32) (param $dy i32) (param $dx i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $kh i32) (param $kw i32)
    (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (param $taps i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32)
    (local $iy i32) (local $ix i32) (local $count i32) (local $t i32) (local $ch i32)
    (local $c4 i32) (local $dyBase i32) (local $off i32)
    (local $best v128) (local $at v128) (local $v v128) (local $gt v128)
    (local $bestS f32) (local $atS i32) (local $vS f32)
    (memory.fill (local.get $dx) (i32.const 0)
      (i32.shl (i32.mul (i32.mul (i32.mul (local.get $n) (local.get $h)) (local.get $w)) (local.get $c)) (i32.const 2)))
    (local.set $c4 (i32.and (local.get $c) (i32.const -4)))
    (block $bEnd (loop $bLoop
      (br_if $bEnd (i32.ge_s (local.get $b) (local.get $n)))
      (local.set $oy (i32.const 0))
      (block $oyEnd (loop $oyLoop
        (br_if $oyEnd (i32.ge_s (local.get $oy) (local.get $oh)))
        (local.set $ox (i32.const 0))
        (block $oxEnd (loop $oxLoop
          (br_if $oxEnd (i32.ge_s (local.get $ox) (local.get $ow)))
          ;; The window's in-bounds taps, as element offsets of channel 0.
          (local.set $count (i32.const 0))
          (local.set $ky (i32.const 0))
          (block $kyEnd (loop $kyLoop
            (br_if $kyEnd (i32.ge_s (local.get $ky) (local.get $kh)))
            (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $top)) (local.get $ky)))
            (if (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $h)))
              (then
                (local.set $kx (i32.const 0))
                (block $kxEnd (loop $kxLoop
                  (br_if $kxEnd (i32.ge_s (local.get $kx) (local.get $kw)))
                  (local.set $ix (i32.add (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)) (local.get $kx)))
                  (if (i32.and (i32.ge_s (local.get $ix) (i32.const 0)) (i32.lt_s (local.get $ix) (local.get $w)))
                    (then
                      (i32.store (i32.add (local.get $taps) (i32.shl (local.get $count) (i32.const 2)))
                        (i32.mul
                          (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix))
                          (local.get $c)))
                      (local.set $count (i32.add (local.get $count) (i32.const 1)))))
                  (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                  (br $kxLoop)))))
            (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
            (br $kyLoop)))
          (local.set $dyBase
            (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $oh)) (local.get $oy)) (local.get $ow)) (local.get $ox))
                     (local.get $c)))
          ;; Four channels at a time: running max and its offset per lane.
          (local.set $ch (i32.const 0))
          (block $chEnd (loop $chLoop
            (br_if $chEnd (i32.ge_s (local.get $ch) (local.get $c4)))
            (local.set $best (v128.const f32x4 -inf -inf -inf -inf))
            (local.set $at (v128.const i32x4 -1 -1 -1 -1))
            (local.set $t (i32.const 0))
            (block $tEnd (loop $tLoop
              (br_if $tEnd (i32.ge_s (local.get $t) (local.get $count)))
              (local.set $off (i32.add (i32.load (i32.add (local.get $taps) (i32.shl (local.get $t) (i32.const 2)))) (local.get $ch)))
              (local.set $v (v128.load (i32.add (local.get $x) (i32.shl (local.get $off) (i32.const 2)))))
              (local.set $gt (f32x4.gt (local.get $v) (local.get $best)))
              (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $gt)))
              (local.set $at
                (v128.bitselect
                  (i32x4.add (i32x4.splat (local.get $off)) (v128.const i32x4 0 1 2 3))
                  (local.get $at) (local.get $gt)))
              (local.set $t (i32.add (local.get $t) (i32.const 1)))
              (br $tLoop)))
            (local.set $off (i32.add (local.get $dyBase) (local.get $ch)))
            (call $route (local.get $dx) (local.get $dy) (i32x4.extract_lane 0 (local.get $at)) (local.get $off))
            (call $route (local.get $dx) (local.get $dy) (i32x4.extract_lane 1 (local.get $at)) (i32.add (local.get $off) (i32.const 1)))
            (call $route (local.get $dx) (local.get $dy) (i32x4.extract_lane 2 (local.get $at)) (i32.add (local.get $off) (i32.const 2)))
            (call $route (local.get $dx) (local.get $dy) (i32x4.extract_lane 3 (local.get $at)) (i32.add (local.get $off) (i32.const 3)))
            (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
            (br $chLoop)))
          ;; The last c mod 4 channels, one at a time.
          (block $rEnd (loop $rLoop
            (br_if $rEnd (i32.ge_s (local.get $ch) (local.get $c)))
            (local.set $bestS (f32.const -inf))
            (local.set $atS (i32.const -1))
            (local.set $t (i32.const 0))
            (block $tsEnd (loop $tsLoop
              (br_if $tsEnd (i32.ge_s (local.get $t) (local.get $count)))
              (local.set $off (i32.add (i32.load (i32.add (local.get $taps) (i32.shl (local.get $t) (i32.const 2)))) (local.get $ch)))
              (local.set $vS (f32.load (i32.add (local.get $x) (i32.shl (local.get $off) (i32.const 2)))))
              (if (f32.gt (local.get $vS) (local.get $bestS))
                (then (local.set $bestS (local.get $vS)) (local.set $atS (local.get $off))))
              (local.set $t (i32.add (local.get $t) (i32.const 1)))
              (br $tsLoop)))
            (call $route (local.get $dx) (local.get $dy) (local.get $atS) (i32.add (local.get $dyBase) (local.get $ch)))
            (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
            (br $rLoop)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $oxLoop)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop))))

  ;; One Adam step for `size` parameters, in the order and float32 rounding of
  ;; tfjs's AdamOptimizer (so results match it):
  ;;   m' = m·β1 + g·(1−β1);  v' = v·β2 + g²·(1−β2)
  ;;   value' = (m'/(1−β1ᵗ)) / (√(v'/(1−β2ᵗ)) + ε) · (−lr) + value
  ;; into fresh buffers (outValue, outM, outV): tfjs caches XNNPACK operators
  ;; by the id of a weight tensor, so weights must never change in place.
  (func (export "adam")
    (param $value i32) (param $g i32) (param $m i32) (param $v i32)
    (param $outValue i32) (param $outM i32) (param $outV i32) (param $size i32)
    (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32)
    (param $omab1 f32) (param $omab2 f32) (param $eps f32) (param $negLr f32)
    (local $i i32) (local $p i32) (local $size4 i32)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $size4 (i32.and (local.get $size) (i32.const -4)))
    (block $end (loop $loop
      (br_if $end (i32.ge_s (local.get $i) (local.get $size4)))
      (local.set $p (i32.shl (local.get $i) (i32.const 2)))
      (local.set $gv (v128.load (i32.add (local.get $g) (local.get $p))))
      (local.set $mv
        (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $p))) (f32x4.splat (local.get $b1)))
                   (f32x4.mul (local.get $gv) (f32x4.splat (local.get $omb1)))))
      (local.set $vv
        (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $p))) (f32x4.splat (local.get $b2)))
                   (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $omb2)))))
      (v128.store (i32.add (local.get $outM) (local.get $p)) (local.get $mv))
      (v128.store (i32.add (local.get $outV) (local.get $p)) (local.get $vv))
      (v128.store (i32.add (local.get $outValue) (local.get $p))
        (f32x4.add
          (f32x4.mul
            (f32x4.div
              (f32x4.div (local.get $mv) (f32x4.splat (local.get $omab1)))
              (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (f32x4.splat (local.get $omab2)))) (f32x4.splat (local.get $eps))))
            (f32x4.splat (local.get $negLr)))
          (v128.load (i32.add (local.get $value) (local.get $p)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $loop)))
    (block $rEnd (loop $rLoop
      (br_if $rEnd (i32.ge_s (local.get $i) (local.get $size)))
      (local.set $p (i32.shl (local.get $i) (i32.const 2)))
      (local.set $gs (f32.load (i32.add (local.get $g) (local.get $p))))
      (local.set $ms
        (f32.add (f32.mul (f32.load (i32.add (local.get $m) (local.get $p))) (local.get $b1))
                 (f32.mul (local.get $gs) (local.get $omb1))))
      (local.set $vs
        (f32.add (f32.mul (f32.load (i32.add (local.get $v) (local.get $p))) (local.get $b2))
                 (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $omb2))))
      (f32.store (i32.add (local.get $outM) (local.get $p)) (local.get $ms))
      (f32.store (i32.add (local.get $outV) (local.get $p)) (local.get $vs))
      (f32.store (i32.add (local.get $outValue) (local.get $p))
        (f32.add
          (f32.mul
            (f32.div
              (f32.div (local.get $ms) (local.get $omab1))
              (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $omab2))) (local.get $eps)))
            (local.get $negLr))
          (f32.load (i32.add (local.get $value) (local.get $p)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rLoop))))
;; out[c] = Σ_r x[r·cols + c] for x [rows, cols]: a sum over leading axes, as
  ;; bias gradients need (tfjs's Sum on wasm transposes first: 1.2 ms for
  ;; 128×28×28×8). Rows are added in order, four columns at a time.
  (func (export "sumRows") (param $x i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32) (local $c4 i32) (local $row i32) (local $o i32)
    (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $row (local.get $x))
    (block $rEnd (loop $rLoop
      (br_if $rEnd (i32.ge_s (local.get $r) (local.get $rows)))
      (local.set $c (i32.const 0))
      (block $cEnd (loop $cLoop
        (br_if $cEnd (i32.ge_s (local.get $c) (local.get $c4)))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))))
        (v128.store (local.get $o)
          (f32x4.add (v128.load (local.get $o)) (v128.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cLoop)))
      (block $tEnd (loop $tLoop
        (br_if $tEnd (i32.ge_s (local.get $c) (local.get $cols)))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2))))
        (f32.store (local.get $o)
          (f32.add (f32.load (local.get $o)) (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $tLoop)))
      (local.set $row (i32.add (local.get $row) (i32.shl (local.get $cols) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rLoop))))
)
