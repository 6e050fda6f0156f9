# hypergrad with tol_lower = tol_linear = 1e-10 (aid-fp on quadratic, q = 0.9): the budgets it
# reports are the ones its stopping rules give, and its error is within the bound the
# tolerances imply.  Usage: cmake -DHG=hgbench -P hypergrad_tol.cmake
#
# The rules (methods/hypergrad/common.c, aid_fp.c): the lower loop stops at the first i with
# ||Phi(w_i) - w_i|| <= tol_lower and returns w_{i+1}, so t = i + 1; the adjoint loop stops at
# the first j with ||v_{j+1} - v_j|| <= tol_linear and returns v_{j+1}, so k = j + 1.  Runs with
# fixed budgets read these residuals back a posteriori (hg_inexact_at): at w_s the printed
# eps = ||Phi(w_s) - w_s|| / (1 - q), so the lower rule reads eps(t - 1) <= tol_lower / (1 - q)
# = 1e-9 < eps(t - 2); at v_j the printed delta = ||v_j - Phi_w^T v_j - grad_w E|| =
# ||v_{j+1} - v_j||, so delta(k - 1) <= 1e-10 < delta(k - 2).  On this instance the values sit
# 1 % to 10 % from the thresholds, far beyond the 4 printed digits.  The error bound: the
# returned w and v have eps <= 1e-9 and delta <= 1e-10, and abs. error <= omega(eps, delta)
# (DESIGN §7) must hold, with no slack: omega bounds the error in exact arithmetic and exceeds
# it here by a factor of 5, far above round-off (1e-14 relative).
cmake_minimum_required(VERSION 3.16) # quoted if() arguments are strings (CMP0054)
set(TOL 1e-10)
set(EPS_MAX 1e-9) # TOL / (1 - q) with q = 0.9, checked below

function(hg_run out)
  execute_process(COMMAND ${HG} hypergrad quadratic ${ARGN} --method aid-fp
                  RESULT_VARIABLE rc OUTPUT_VARIABLE text ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "hypergrad ${ARGN}: exit ${rc}\n${text}${err}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# one number after `label` in text
function(hg_field out text label)
  if(NOT text MATCHES "${label}([-+0-9.e]+)")
    message(FATAL_ERROR "no '${label}' in:\n${text}")
  endif()
  set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${HG} info quadratic OUTPUT_VARIABLE info RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT info MATCHES "\nq +0.9\n")
  message(FATAL_ERROR "quadratic's q is not 0.9 (EPS_MAX assumes it):\n${info}")
endif()

hg_run(tol tol_lower=${TOL} tol_linear=${TOL} --t 100000 --k 100000)
hg_field(t "${tol}" "t = ")
hg_field(k "${tol}" "k = ")
hg_field(abs "${tol}" "abs. error ")
hg_field(omega "${tol}" "omega ")
hg_field(eps "${tol}" "from eps = ")
hg_field(delta "${tol}" "delta = ")
message(STATUS "tolerance run: t = ${t}, k = ${k}, abs. error ${abs}, omega ${omega}, "
               "eps ${eps}, delta ${delta}")
if(NOT (eps LESS_EQUAL EPS_MAX AND delta LESS_EQUAL TOL))
  message(FATAL_ERROR "the returned w, v miss the tolerances: eps ${eps} (<= ${EPS_MAX}), "
                      "delta ${delta} (<= ${TOL})")
endif()
if(NOT abs LESS_EQUAL omega)
  message(FATAL_ERROR "abs. error ${abs} above omega(eps, delta) = ${omega}")
endif()

# the same budgets fixed: the same hypergradient, bit for bit
hg_run(fixed --t ${t} --k ${k})
string(REGEX MATCH "\n +j .*\nrel" rows_tol "${tol}")
string(REGEX MATCH "\n +j .*\nrel" rows_fixed "${fixed}")
if(NOT rows_tol STREQUAL rows_fixed)
  message(FATAL_ERROR "t = ${t}, k = ${k} fixed gives another hypergradient:\n${tol}\n${fixed}")
endif()

# A stopping rule on `axis` (t or k, stopped at `at`, the other budget `other` fixed) first
# holds one step before: the residual read as `label` is <= threshold with axis = at - 1 and
# above it with axis = at - 2.
function(hg_first_crossing axis at other label threshold)
  foreach(back 1 2)
    math(EXPR b "${at} - ${back}")
    if(axis STREQUAL "t")
      hg_run(text --t ${b} --k ${other})
    else()
      hg_run(text --t ${other} --k ${b})
    endif()
    hg_field(v${back} "${text}" "${label}")
    set(at${back} ${b})
  endforeach()
  if(NOT (v1 LESS_EQUAL threshold AND v2 GREATER threshold))
    message(FATAL_ERROR "${axis} = ${at} is not where the rule first holds: '${label}' ${v1} "
                        "at ${axis} = ${at1}, ${v2} at ${axis} = ${at2} (threshold ${threshold})")
  endif()
endfunction()

# the lower rule ||Phi(w_i) - w_i|| <= TOL first at i = t - 1; the adjoint rule
# ||v_{j+1} - v_j|| <= TOL first at j = k - 1
hg_first_crossing(t ${t} ${k} "from eps = " ${EPS_MAX})
hg_first_crossing(k ${k} ${t} "delta = " ${TOL})
message(STATUS "t = ${t} and k = ${k} are where the stopping rules first hold; error within omega")
